"""Step budgets from the runbook's timetable (the "Deployment Window" table), the registry as fallback.

>>> budgets_from(None)["import"]
1800
"""

from __future__ import annotations

from pathlib import Path

from gate import checks
from gate.runbook.extract import timetable_budgets


def missing_runbook(runbook: Path) -> str | None:
    """What a missing ``RUNBOOK`` means for this run (one sentence), or None when the file is there."""
    if runbook.is_file():
        return None
    return (f"RUNBOOK={runbook}: no such file — step budgets fall back to the gate's own timetable "
            "(gate/checks.py STEP_BUDGETS_S); `make runbook-lint` cannot run without a runbook")


def budgets_from(runbook: Path | None) -> dict[str, int]:
    """Per step its budget in seconds: the runbook's table where it names the step, else the registry's."""
    budgets = dict(checks.STEP_BUDGETS_S)
    if runbook is not None and runbook.exists():
        budgets.update(timetable_budgets(runbook.read_text(encoding="utf-8")))
    budgets.setdefault("flush_dry_run", budgets.get("flush", 120))
    return budgets
