"""The notification record: did a message to the team go out and get answered?

The record is JSON lines (or a JSON list) written by the notifier (``gate/notify``,
``RUN_DIR/notifications.jsonl``); an entry counts when it was answered (``status: sent``,
``ok: true`` or an HTTP 2xx status) recently.

>>> NotificationRecord(Path("/nonexistent")).answered_since(datetime.now(UTC))
[]
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path


def _when(entry: dict[str, object]) -> datetime | None:
    for key in ("ts", "time", "sent_at", "at", "timestamp"):
        if entry.get(key):
            try:
                moment = datetime.fromisoformat(str(entry[key]))
            except ValueError:
                return None
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def _answered(entry: dict[str, object]) -> bool:
    if "ok" in entry:
        return bool(entry["ok"])
    status = entry.get("status")
    if isinstance(status, str):
        return status == "sent"
    code = status or entry.get("status_code") or entry.get("http_status")
    return isinstance(code, int) and 200 <= code < 300


def _skipped(entry: dict[str, object]) -> bool:
    return entry.get("status") == "skipped"


class NotificationRecord:
    """Entries of a notification record file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def entries(self) -> list[dict[str, object]]:
        """Every entry (unreadable lines are skipped)."""
        if not self.path.is_file():
            return []
        text = self.path.read_text().strip()
        if text.startswith("["):
            try:
                return [e for e in json.loads(text) if isinstance(e, dict)]
            except ValueError:
                return []
        found: list[dict[str, object]] = []
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                found.append(entry)
        return found

    def only_skipped(self) -> bool:
        """Every entry says nothing was posted (no webhook configured): a manual item, not a failure."""
        entries = self.entries()
        return bool(entries) and all(_skipped(e) for e in entries)

    def undelivered(self) -> str | None:
        """Why the webhook took nothing (its last failed attempt), when nothing was ever answered; else None.

        >>> import tempfile; p = Path(tempfile.mkstemp()[1]); _ = p.write_text('{"status": "failed", "error": "ConnectError"}')
        >>> NotificationRecord(p).undelivered()
        'ConnectError'
        """
        entries = self.entries()
        failed = [e for e in entries if e.get("status") == "failed" or e.get("ok") is False]
        if not failed or any(_answered(e) for e in entries):
            return None
        last = failed[-1]
        return str(last.get("error") or last.get("http_status") or "not delivered")

    def answered_since(self, since: datetime) -> list[dict[str, object]]:
        """Answered entries sent at or after ``since``."""
        return [e for e in self.entries() if _answered(e) and (_when(e) or datetime.min.replace(tzinfo=UTC)) >= since]
