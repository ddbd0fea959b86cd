"""Pre-Migration Checklist: the team is notified of the maintenance window."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from gate.preflight.notifications import NotificationRecord

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from gate.fixtures import MessageReporter
    from gate.settings import Settings


@pytest.mark.check("PRE-05", severity="low")
def test_team_notified(settings: Settings, run_dir: Path, now: datetime,
                       check_message: MessageReporter) -> None:
    """Команда уведомлена о maintenance window (a notification sent, answered and recorded)."""
    path = settings.notify_record or run_dir / "notifications.jsonl"
    if settings.notify_record is None and not path.exists():
        pytest.skip("no notification record (NOTIFY_RECORD, or the window's notifications.jsonl): "
                    "notify #tech-alerts by hand and tick this item")
    record = NotificationRecord(path)
    if record.only_skipped():
        pytest.skip(f"{path}: nothing was posted (no NOTIFY_WEBHOOK_URL): notify #tech-alerts by hand")
    down = record.undelivered()
    if down:  # README: a webhook that is down never stops the window; the notification becomes a manual item
        pytest.skip(f"{path}: the webhook took no notification ({down}): notify #tech-alerts by hand and tick this item")
    since = now - timedelta(hours=settings.notify_max_age_hours)
    answered = record.answered_since(since)
    assert answered, (
        f"no answered notification in {path} since {since:%Y-%m-%d %H:%M %Z} "
        f"({len(record.entries())} entries)"
    )
    check_message(f"{len(answered)} answered notification(s), last at {answered[-1].get('ts') or answered[-1].get('time', '?')}")
