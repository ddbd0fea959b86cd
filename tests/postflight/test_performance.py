"""Response time and error rate with the Rollback Decision Matrix's thresholds (effective severities)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gate.logs.parse import access_entries, django_errors, error_rate, window_start
from gate.report.attach import attach_json
from gate.window.facts import error_severity as _error_severity
from gate.window.facts import latency_severity as _latency_severity

if TYPE_CHECKING:
    from pathlib import Path

    from gate.fixtures import MessageReporter, SeverityReporter
    from gate.http.api import Burst
    from gate.run import StepRow
    from gate.settings import Settings


@pytest.mark.xdist_group("latency")
@pytest.mark.check("PST-08", severity="high")
def test_response_time_p95(latency_burst: Burst, settings: Settings, effective_severity: SeverityReporter,
                           check_message: MessageReporter) -> None:
    """Response time: p95 < 500 ms (a bounded burst of real requests); 500–1000 ms low, above high."""
    p95 = latency_burst.p95_ms
    attach_json({"p50_ms": latency_burst.percentile_ms(50), "p95_ms": p95, "requests": latency_burst.count,
                 "histogram": latency_burst.histogram()}, "latency histogram")
    severity = _latency_severity(p95, settings.latency_p95_ms, settings.latency_high_ms)
    message = f"p95 {p95:.0f} ms over {latency_burst.count} requests (concurrency {settings.burst_concurrency})"
    check_message(message)
    if severity is not None:
        effective_severity(severity)
        pytest.fail(f"{message} ≥ {settings.latency_p95_ms:.0f} ms ({severity.value})", pytrace=False)


@pytest.mark.xdist_group("latency")
@pytest.mark.check("PST-09", severity="critical")
def test_error_rate(latency_burst: Burst, settings: Settings, log_paths: dict[str, Path | None],
                    journal: dict[str, StepRow], effective_severity: SeverityReporter,
                    check_message: MessageReporter) -> None:
    """Error rate < 1 % in the logs since maintenance went off (and in the burst); 1–5 % high, above critical."""
    from datetime import datetime

    off = journal["maintenance_off"].get("finished_at") if "maintenance_off" in journal else None
    since = window_start(settings.error_window_minutes, datetime.fromisoformat(off) if off else None)
    access = access_entries(log_paths["access"], settings.access_log_format, since) if log_paths["access"] else []
    errors = django_errors(log_paths["django"], since, settings.django_log_format) if log_paths["django"] else []
    rate = error_rate(access, errors, since)
    pct = max(rate.pct, latency_burst.error_rate_pct)
    message = rate.describe() + f"; burst {latency_burst.error_rate_pct:.2f} %"
    check_message(message)
    severity = _error_severity(pct, settings.error_rate_high_pct, settings.error_rate_critical_pct)
    if severity is not None:
        effective_severity(severity)
        pytest.fail(f"error rate {pct:.2f} % ({severity.value}): {message}", pytrace=False)
