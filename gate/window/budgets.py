"""Step budgets: the runbook's timetable ("Deployment Window") over the gate registry's, for the window and the report.

The window times each step against ``budgets_from(RUNBOOK)``: the runbook's table where it names
the step, else ``gate.checks.STEP_BUDGETS_S`` (the same budgets PRE-07 uses). The window journal
carries ``budget_s`` per step; when a journal does not, the report looks the budget up by step
name (``budget_for``), so the sign-off chart can still compare each step with what the runbook
promised; the rollback is "about 15 minutes", the whole window "about 1 h 45 min".

>>> budgets_from(None)["import"]
1800
>>> budget_for("Import_Products")
1800.0
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from gate.checks import ROLLBACK_BUDGET_S, STEP_BUDGETS_S
from gate.runbook.extract import timetable_budgets

MIN: Final = 60
WINDOW_BUDGET_S: Final = 105 * MIN
"""The runbook's "about 1 h 45 min" for the whole window."""

_ALIASES: Final[dict[str, str]] = {
    "notify": "notify_start",
    "notification": "notify_start",
    "maintenance": "maintenance_on",
    "maintenance-mode-on": "maintenance_on",
    "backup-db": "backup",
    "pre-migration-backup": "backup",
    "deploy-code": "deploy",
    "checkout": "deploy",
    "migrations": "migrate",
    "django-migrate": "migrate",
    "preimport": "pre_import",
    "pre-import-validation": "pre_import",
    "validate-1c": "pre_import",
    "flush-products": "flush",
    "import-products": "import",
    "import-products-from-1c": "import",
    "import-1c": "import",
    "post-migration-validation": "postflight",
    "post-checks": "postflight",
    "maintenance-mode-off": "maintenance_off",
    "smoke-tests": "smoke",
    "smoke-test": "smoke",
    "notify-done": "notify_end",
    "rollback-rehearsal": "rollback",
}
_BUDGETS: Final[dict[str, int]] = {"notify_start": 2 * MIN, "pre_deployment_meeting": 15 * MIN,
                                   **STEP_BUDGETS_S, "rollback": ROLLBACK_BUDGET_S}
"""The registry's step budgets, plus the 01:30 notice and 01:45 meeting (before the window) and the rollback."""
for _name in _BUDGETS:  # the names themselves, as normalize() spells them
    _ALIASES.setdefault(_name.replace("_", "-"), _name)

PHASES: Final[tuple[str, ...]] = (
    "preflight", "access", "backup", "maintenance", "deploy", "runbook", "migrate", "migration",
    "pre-import", "onec", "1c", "flush", "import", "postflight", "api", "performance",
    "protected", "smoke", "rollback", "monitoring",
)  # fmt: skip


def normalize(name: str) -> str:
    """``Import_Products`` → ``import-products``: how step names are compared."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def budget_for(name: str) -> float | None:
    """The runbook's budget in seconds for a step name, or None when the runbook gives none."""
    key = _ALIASES.get(normalize(name), normalize(name))
    return float(_BUDGETS[key]) if key in _BUDGETS else None


def phase_order(phase: str) -> tuple[int, str]:
    """Sort key putting phases in window order; unknown phases after the known ones."""
    key = normalize(phase)
    return (PHASES.index(key), key) if key in PHASES else (len(PHASES), key)


def human_duration(seconds: float | None) -> str:
    """``4523.1`` → ``1 h 15 min``; ``41.2`` → ``41.2 s``: figures a person reads at 3 AM."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def missing_runbook(runbook: Path) -> str | None:
    """What a missing ``RUNBOOK`` means for this run (one sentence), or None when the file is there."""
    if runbook.is_file():
        return None
    return (f"RUNBOOK={runbook}: no such file — step budgets fall back to the gate's own timetable "
            "(gate/checks.py STEP_BUDGETS_S); `make runbook-lint` cannot run without a runbook")


def budgets_from(runbook: Path | None) -> dict[str, int]:
    """Per step its budget in seconds: the runbook's table where it names the step, else the registry's."""
    budgets = dict(STEP_BUDGETS_S)
    if runbook is not None and runbook.exists():
        budgets.update(timetable_budgets(runbook.read_text(encoding="utf-8")))
    budgets.setdefault("flush_dry_run", budgets.get("flush", 120))
    return budgets
