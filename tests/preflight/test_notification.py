"""Pre-Migration Checklist: the team is notified of the maintenance window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gate.preflight.notifications import NotificationRecord


@pytest.mark.check("PRE-05", severity="low")
def test_team_notified(settings, now, check_message):
    """Команда уведомлена о maintenance window (a notification sent, answered and recorded)."""
    if settings.notify_record is None:
        pytest.skip("NOTIFY_RECORD not set: notify #tech-alerts by hand and tick this item")
    record = NotificationRecord(settings.notify_record)
    since = now - timedelta(hours=settings.notify_max_age_hours)
    answered = record.answered_since(since)
    assert answered, (
        f"no answered notification in {settings.notify_record} since {since:%Y-%m-%d %H:%M %Z} "
        f"({len(record.entries())} entries)"
    )
    check_message(f"{len(answered)} answered notification(s), last at {answered[-1].get('time', '?')}")
