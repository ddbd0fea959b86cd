"""Post-Migration Monitoring (24 h): error rate and mean response time from the logs (`make monitor`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gate.logs.parse import access_entries, django_errors, error_rate, window_start
from gate.types import Severity
from gate.window.facts import error_severity, latency_severity

if TYPE_CHECKING:
    from pathlib import Path

    from gate.fixtures import MessageReporter, SeverityReporter
    from gate.settings import Settings


@pytest.mark.check("MON-01", severity="high")
def test_error_rate_and_response_time_from_logs(settings: Settings, log_paths: dict[str, Path | None],
                                                effective_severity: SeverityReporter,
                                                check_message: MessageReporter) -> None:
    """grep -c ERROR django.log; awk request_time access.log: error rate < 1 %, mean response < 500 ms."""
    if log_paths["access"] is None or not log_paths["access"].exists():
        pytest.skip("no access log (LOG_DIR / ACCESS_LOG): monitoring cannot be read here")
    since = window_start(max(settings.monitor_interval_minutes, settings.error_window_minutes))
    access = access_entries(log_paths["access"], settings.access_log_format, since)
    errors = django_errors(log_paths["django"], since, settings.django_log_format) if log_paths["django"] else []
    rate = error_rate(access, errors, since)
    check_message(rate.describe())
    problems: list[tuple[Severity, str]] = []  # the tiers of PST-08/09 (gate.verdict.tiered_severity)
    errors_at = error_severity(rate.pct, settings.error_rate_high_pct, settings.error_rate_critical_pct)
    if errors_at is not None:
        problems.append((errors_at, f"error rate {rate.pct:.2f} %"))
    latency_at = (None if rate.mean_ms is None
                  else latency_severity(rate.mean_ms, settings.latency_p95_ms, settings.latency_high_ms))
    if latency_at is not None:
        problems.append((latency_at, f"mean response {rate.mean_ms:.0f} ms"))
    if problems:
        worst = max((s for s, _ in problems), key=lambda s: s.rank)
        effective_severity(worst)
        pytest.fail("; ".join(p for _, p in problems) + f" ({rate.describe()})", pytrace=False)
