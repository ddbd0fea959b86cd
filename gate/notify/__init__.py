"""Slack-compatible notifications of the migration window (runbook: Slack #tech-alerts).

The window posts when it starts, when a verdict other than GO is reached, and when it ends.
Every attempt and its answer goes to ``RUN_DIR/notifications.jsonl`` (PRE-05 reads it); a
webhook that is down is reported as a warning and never fails the migration.
"""

from __future__ import annotations

from gate.notify.notifier import EVENTS, Attempt, notify, notify_args, read_record, was_notified

__all__ = ["EVENTS", "Attempt", "notify", "notify_args", "read_record", "was_notified"]
