"""What the rollback script recorded in the run directory (``rollback.json``).

The script rewrites the record after every phase, so even a rollback that died half-way
leaves the phase it died in, the state of the database and how to continue.

>>> RollbackRecord({"status": "done", "duration_s": 61.0}).within(900)
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from gate.window.interrupted import ROLLBACK_SCRIPT, process_alive

ROLLBACK_RECORD = "rollback.json"
PHASES = ("stop", "restore", "swap", "checkout", "start", "maintenance_off")


class RollbackPhase(TypedDict, total=False):
    """One phase in ``rollback.json``: started (epoch s), its status, how long it took, why skipped."""

    started: float
    status: str
    duration_s: float
    reason: str


class RollbackJson(TypedDict, total=False):
    """``rollback.json`` as scripts/deploy/rollback_production.sh writes it."""

    status: str
    duration_s: float
    updated_at: str
    phases: dict[str, RollbackPhase]
    db_state: str
    message: str
    dump: str
    sha256: str
    backup_run_id: str
    mode: str
    database: str
    previous_release_tag: str
    previous_release_commit: str
    pid: int
    host: str
    dropped_leftovers: list[str]
    kept_databases: list[str]
    interrupted_record: str | None


@dataclass(frozen=True, slots=True)
class RollbackRecord:
    """One rollback's record: status, duration, per-phase timings, database state."""

    data: RollbackJson = field(default_factory=lambda: RollbackJson())

    @classmethod
    def load(cls, path: Path) -> RollbackRecord | None:
        """The record at ``path`` (``None`` when there is none or it cannot be read)."""
        try:
            return cls(json.loads(path.read_text()))
        except (OSError, ValueError):
            return None

    @classmethod
    def of_run(cls, run_dir: Path) -> RollbackRecord | None:
        """The record of the rollback run in ``run_dir`` (``None`` when no rollback ran there)."""
        return cls.load(run_dir / ROLLBACK_RECORD)

    @property
    def completed(self) -> bool:
        """Every phase ran and the script ended successfully."""
        return self.data.get("status") == "done"

    @property
    def duration_s(self) -> float:
        """Wall time from the script's start to its last recorded phase."""
        return float(self.data.get("duration_s") or 0.0)

    def within(self, budget_s: float) -> bool:
        """Completed, and within ``budget_s`` seconds."""
        return self.completed and self.duration_s <= budget_s

    @property
    def failed_phase(self) -> str | None:
        """The phase that failed, if one did."""
        for name, phase in self.data.get("phases", {}).items():
            if phase.get("status") == "failed" and name != "total":
                return str(name)
        return None

    @property
    def db_state(self) -> str:
        """The database's state in plain words, as the script last recorded it."""
        return str(self.data.get("db_state", ""))

    @property
    def message(self) -> str:
        """How to continue (set when a phase failed)."""
        return str(self.data.get("message", ""))

    def phase_durations(self) -> dict[str, float]:
        """Seconds per phase that finished (stop, restore, swap, checkout, start, maintenance_off)."""
        phases = self.data.get("phases", {})
        return {p: float(phases[p]["duration_s"]) for p in PHASES if "duration_s" in phases.get(p, {})}

    def skipped(self) -> dict[str, str]:
        """Phases not configured (their command ``:`` or empty), each with the script's reason."""
        phases = self.data.get("phases", {})
        return {p: str(phases[p].get("reason", "")) for p in PHASES if phases.get(p, {}).get("status") == "skipped"}

    def describe(self) -> str:
        """One line for a check's message: status, duration, phases, skipped phases, state."""
        timing = ", ".join(f"{p} {s:.1f}s" for p, s in self.phase_durations().items())
        head = f"rollback {self.data.get('status', '?')} in {self.duration_s:.1f}s ({timing})"
        if skipped := self.skipped():
            head += "; skipped: " + ", ".join(f"{p} ({why})" for p, why in skipped.items())
        if not self.completed:
            head += f"; failed in {self.failed_phase or '?'}: {self.db_state}; {self.message}"
        return head

    @property
    def killed(self) -> bool:
        """The rollback stopped without ending (its status still ``running``) and its process is gone."""
        if self.data.get("status") in ("done", "failed"):
            return False
        pid = self.data.get("pid")
        return not process_alive(int(pid), self.data.get("host")) if pid else True

    def status_lines(self, run_dir: Path) -> list[str]:
        """What ``make window-status`` says about this run's rollback: a killed one and what brings it back,
        the partial copies a run dropped and the replaced databases kept on purpose."""
        lines = []
        if self.killed:
            phase = next((name for name, p in self.data.get("phases", {}).items() if p.get("status") == "start"), "?")
            lines.append(f"ROLLBACK INTERRUPTED in phase {phase}: database state: {self.db_state or '?'}. "
                         f"Run it again: CONFIRM=yes RUN_DIR={run_dir} {ROLLBACK_SCRIPT} --confirm "
                         f"{self.data.get('dump', '<this run backup>')} (it drops the partial copy, keeps this "
                         "record as rollback.interrupted-<stamp>.json)")
        elif self.data.get("status"):
            lines.append(f"rollback {self.data['status']}: {self.db_state}")
        if self.data.get("interrupted_record"):
            lines.append(f"an earlier rollback of this run was killed: its record is {self.data['interrupted_record']}")
        if self.data.get("dropped_leftovers"):
            lines.append("partial copies of killed rollbacks dropped: " + ", ".join(self.data["dropped_leftovers"]))
        if self.data.get("kept_databases"):
            lines.append("kept on purpose (replaced databases, for the investigation; drop when done): "
                         + ", ".join(self.data["kept_databases"]))
        return lines
