"""Reading the target's logs: access log (gunicorn / nginx request_time), django.log, import log."""

from gate.logs.parse import AccessEntry, ErrorRate, access_entries, django_errors, error_rate

__all__ = ["AccessEntry", "ErrorRate", "access_entries", "django_errors", "error_rate"]
