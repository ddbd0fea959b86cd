"""The way back, in words a signer acts on: the reverse-migration trial and the rollback rehearsal.

``summary["reverse_migration"]`` (written by the rollback rehearsal: ``works``, ``losses``,
``restore_only_way_back``, ``conclusion``...) says whether ``migrate products 0001_initial``
brings the old data back; when it fails or loses data the page must say plainly that the
restore from backup is the only way back. ``RUN_DIR/rollback.json`` is the rollback script's
own record (status, per-phase timings, database state). Both are read tolerantly: older runs
wrote a bare string or ``{"ok": ...}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from gate.checks import ROLLBACK_BUDGET_S
from gate.redact import redact
from gate.window.budgets import human_duration

_OK_KEYS: Final = ("works", "ok", "succeeded", "success", "passed", "reversible")
_LOSS_KEYS: Final = ("losses", "lost", "loses", "data_loss", "lost_columns", "lost_data")
_HIDDEN: Final = {*_OK_KEYS, "restore_only_way_back", "conclusion"}
RESTORE_ONLY: Final = "The restore from the pre-migration backup is the only way back."

Detail = tuple[str, str | list[str]]


@dataclass(frozen=True, slots=True)
class ReverseFinding:
    """The reverse-migration trial reduced to what a signer needs: does it bring the data back?"""

    restore_only: bool
    sentence: str
    details: list[Detail]


def _text(value: object) -> str | list[str]:
    if isinstance(value, list | tuple):
        return [redact(str(v)) for v in value]
    if isinstance(value, dict):
        return [redact(f"{k}: {v}") for k, v in value.items()]
    return redact(str(value))


def reverse_finding(value: object) -> ReverseFinding | None:
    """Plain-words finding from ``summary["reverse_migration"]`` (dict, bool or text), or None."""
    if value in (None, "", {}):
        return None
    if isinstance(value, bool):
        value = {"ok": value}
    if not isinstance(value, dict):
        text = redact(str(value))
        return ReverseFinding("only way back" in text.lower(), text, [])
    ok = next((bool(value[k]) for k in _OK_KEYS if k in value), None)
    losses = next((value[k] for k in _LOSS_KEYS if value.get(k)), None)
    target = value.get("target") or value.get("migration") or "products 0001_initial"
    restore_only = bool(value["restore_only_way_back"]) if "restore_only_way_back" in value else ok is False or bool(losses)
    if value.get("conclusion"):
        sentence = str(value["conclusion"]).replace("`", "")
        if restore_only and "only way back" not in sentence:
            sentence += " " + RESTORE_ONLY
    elif ok is False:
        sentence = f"The reverse migration (migrate {target}) fails. {RESTORE_ONLY}"
    elif losses:
        sentence = f"The reverse migration (migrate {target}) runs but does not bring the data back. {RESTORE_ONLY}"
    else:
        sentence = f"The reverse migration (migrate {target}) brings the pre-migration data back on a disposable copy."
    details = [(str(k), _text(v)) for k, v in value.items() if k not in _HIDDEN]
    return ReverseFinding(restore_only, redact(sentence), details)


@dataclass(frozen=True, slots=True)
class RollbackSummary:
    """The rollback script's record, as the sign-off shows it."""

    status: str
    duration_s: float | None
    phases: list[tuple[str, str]]
    db_state: str
    message: str

    @property
    def within_budget(self) -> bool:
        return self.status == "done" and self.duration_s is not None and self.duration_s <= ROLLBACK_BUDGET_S

    @property
    def headline(self) -> str:
        budget = human_duration(ROLLBACK_BUDGET_S)
        took = human_duration(self.duration_s)
        if self.status == "done":
            verdict = "within" if self.within_budget else "OVER"
            return f"Rollback rehearsal {self.status} in {took} ({verdict} the runbook's {budget})."
        return f"Rollback rehearsal {self.status} after {took} (budget {budget})."


def rollback_summary(run_dir: Path) -> RollbackSummary | None:
    """``RUN_DIR/rollback.json`` as a summary (None when no rollback ran in this run)."""
    try:
        data = json.loads((run_dir / "rollback.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    phases = []
    for name, phase in (data.get("phases") or {}).items():
        if isinstance(phase, dict):
            took = human_duration(phase["duration_s"]) if isinstance(phase.get("duration_s"), int | float) else "—"
            if phase.get("status") == "skipped":  # not configured: the script says which setting
                phases.append((str(name), redact(f"skipped: {phase.get('reason') or 'not configured'}")))
                continue
            phases.append((str(name), redact(f"{phase.get('status', '?')}, {took}")))
    duration = data.get("duration_s")
    return RollbackSummary(
        status=redact(str(data.get("status") or "unknown")),
        duration_s=float(duration) if isinstance(duration, int | float) else None,
        phases=phases,
        db_state=redact(str(data.get("db_state") or "")),
        message=redact(str(data.get("message") or "")),
    )
