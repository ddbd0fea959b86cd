"""Maintenance mode (django-maintenance-mode): the state, and the 503 body the public API sends.

Health and the 1C exchange endpoint stay up while maintenance is on: health reports the flag
(HTTP 200, ``"maintenance": true``) so monitors can tell maintenance from an outage, and the
exchange's checkauth is what the runbook's pre-import check (step 5) calls inside the window.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from maintenance_mode.core import get_maintenance_mode

MAINTENANCE_DETAIL = "FreeSport is under maintenance (catalog migration); please retry later."


def is_maintenance_on() -> bool:
    return bool(get_maintenance_mode())


def maintenance_context(request: HttpRequest | None = None) -> dict[str, Any]:
    """The JSON body of every 503 the maintenance middleware returns."""
    return {"detail": MAINTENANCE_DETAIL, "maintenance": True, "status": 503}
