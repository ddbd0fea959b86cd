"""django-maintenance-mode's middleware, minus the ERROR log line per planned 503.

Django logs every 5xx as ``ERROR django.request``; during a maintenance window that would fill
django.log with errors the runbook's ``grep -c ERROR`` monitoring counts. The access log still
records each 503.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from maintenance_mode.middleware import MaintenanceModeMiddleware as StockMaintenanceModeMiddleware


class MaintenanceModeMiddleware(StockMaintenanceModeMiddleware):
    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        response = super().process_request(request)
        if response is not None:
            response._has_been_logged = True  # Django's log_response() skips it
        return response
