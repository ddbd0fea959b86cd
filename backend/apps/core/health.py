"""``/api/health/``: database reachable and the maintenance flag.

Answers 200 while maintenance is on (``"maintenance": true``, ``"status": "maintenance"``) and 503
only when the database does not answer, so a load balancer keeps the node and monitors can tell
a planned window from an outage.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from maintenance_mode.decorators import force_maintenance_mode_off

from apps.core.maintenance import is_maintenance_on

logger = logging.getLogger(__name__)


@force_maintenance_mode_off
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    maintenance = is_maintenance_on()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except DatabaseError as exc:
        logger.error("health: database unreachable: %s", type(exc).__name__)
        return JsonResponse({"status": "error", "database": "unreachable", "maintenance": maintenance}, status=503)
    status = "maintenance" if maintenance else "ok"
    return JsonResponse({"status": status, "database": database, "maintenance": maintenance})
