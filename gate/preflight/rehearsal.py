"""The staging rehearsal's record: its ``summary.json`` (verdict, release, age, rollback checks).

>>> RehearsalRecord(Path("/nonexistent/summary.json")).exists
False
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from gate.run import Summary

ROLLBACK_IDS = ("RBK-01", "RBK-02", "RBK-03")


class RehearsalRecord:
    """What a rehearsal run recorded.

    >>> RehearsalRecord(Path("/x")).problems("v1", 7, datetime.now(UTC))
    ['no rehearsal record at /x']
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def exists(self) -> bool:
        """The summary file is there."""
        return self.path.is_file()

    @property
    def data(self) -> Summary:
        """The parsed summary (empty when unreadable)."""
        try:
            return cast("Summary", json.loads(self.path.read_text()))
        except (OSError, ValueError):
            return {}

    @property
    def finished_at(self) -> datetime | None:
        """When the rehearsal ended (``finished_at``, else the file's mtime)."""
        value = self.data.get("finished_at")
        if value:
            moment = datetime.fromisoformat(str(value))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if self.exists:
            return datetime.fromtimestamp(self.path.stat().st_mtime, tz=UTC)
        return None

    def age_days(self, now: datetime) -> float | None:
        """Days since the rehearsal ended."""
        end = self.finished_at
        return None if end is None else (now - end).total_seconds() / 86400

    def problems(self, release_tag: str, max_age_days: float, now: datetime) -> list[str]:
        """Why this record does not prove a recent GO rehearsal of ``release_tag`` (empty when it does)."""
        if not self.exists:
            return [f"no rehearsal record at {self.path}"]
        data = self.data
        if not data:
            return [f"{self.path}: not a readable summary.json"]
        problems = []
        if data.get("verdict") != "GO":
            problems.append(f"rehearsal verdict {data.get('verdict')!r}, not GO")
        if data.get("release_tag") != release_tag:
            problems.append(f"rehearsal of release {data.get('release_tag')!r}, this window deploys {release_tag!r}")
        age = self.age_days(now)
        if age is None or age > max_age_days:
            problems.append(f"rehearsal is {age:.1f} days old (limit {max_age_days:g})" if age is not None
                            else "rehearsal has no end time")
        return problems

    def rollback_problems(self) -> list[str]:
        """Why the rehearsal's rollback is not proven (each RBK check must be present and passed)."""
        rows = {row["id"]: row for row in self.data.get("checks", [])}
        problems = []
        for check_id in ROLLBACK_IDS:
            row = rows.get(check_id)
            if row is None:
                problems.append(f"{check_id} not in the rehearsal record")
            elif row.get("outcome") != "passed":
                problems.append(f"{check_id} {row.get('outcome')}: {row.get('message', '')}")
        return problems
