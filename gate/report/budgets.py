"""The runbook's deployment window and Rollback Decision Matrix, as data the report draws.

The timetable (migration-guide-productvariant.md, "Deployment Window") gives every step a
slot and a duration; the rollback is "about 15 minutes". The window journal normally carries
``budget_s`` per step; when it does not, the budget is looked up here by step name, so the
sign-off chart can still compare each step with what the runbook promised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

MIN: Final = 60


@dataclass(frozen=True, slots=True)
class Slot:
    """One row of the runbook timetable."""

    name: str
    at: str
    budget_s: int
    owner: str
    action: str


TIMETABLE: Final[tuple[Slot, ...]] = (
    Slot("notify-start", "01:30", 2 * MIN, "DevOps", "Slack #tech-alerts notification"),
    Slot("pre-deployment-meeting", "01:45", 15 * MIN, "Team", "Pre-deployment meeting"),
    Slot("maintenance-on", "02:00", 2 * MIN, "DevOps", "Enable maintenance mode"),
    Slot("backup", "02:02", 10 * MIN, "DevOps", "Pre-migration backup"),
    Slot("deploy", "02:12", 5 * MIN, "DevOps", "Deploy the new code"),
    Slot("migrate", "02:17", 3 * MIN, "DevOps", "Django migrations"),
    Slot("pre-import", "02:20", 5 * MIN, "Backend", "Pre-import validation (1C)"),
    Slot("flush", "02:25", 2 * MIN, "DevOps", "Flush old products"),
    Slot("import", "02:27", 30 * MIN, "Backend", "Import the catalog from 1C"),
    Slot("postflight", "02:57", 5 * MIN, "QA", "Post-migration validation"),
    Slot("maintenance-off", "03:02", 2 * MIN, "DevOps", "Disable maintenance mode"),
    Slot("smoke", "03:04", 10 * MIN, "QA", "Smoke tests"),
    Slot("notify-end", "03:14", 2 * MIN, "DevOps", "Completion notification"),
)
WINDOW_BUDGET_S: Final = 105 * MIN
"""The runbook's "about 1 h 45 min" for the whole window."""
WINDOW_HARD_LIMIT_S: Final = 150 * MIN
"""01:30 → 04:00: the buffer ends when the low-traffic window closes."""
ROLLBACK_BUDGET_S: Final = 15 * MIN

_ALIASES: Final[dict[str, str]] = {
    "notify": "notify-start",
    "notification": "notify-start",
    "maintenance": "maintenance-on",
    "maintenance-mode-on": "maintenance-on",
    "backup-db": "backup",
    "pre-migration-backup": "backup",
    "deploy-code": "deploy",
    "checkout": "deploy",
    "migrations": "migrate",
    "django-migrate": "migrate",
    "preimport": "pre-import",
    "pre-import-validation": "pre-import",
    "validate-1c": "pre-import",
    "flush-products": "flush",
    "import-products": "import",
    "import-products-from-1c": "import",
    "import-1c": "import",
    "post-migration-validation": "postflight",
    "post-checks": "postflight",
    "maintenance-mode-off": "maintenance-off",
    "smoke-tests": "smoke",
    "smoke-test": "smoke",
    "notify-done": "notify-end",
    "rollback": "rollback",
    "rollback-rehearsal": "rollback",
}
_EXTRA_BUDGETS: Final[dict[str, int]] = {"rollback": ROLLBACK_BUDGET_S}

PHASES: Final[tuple[str, ...]] = (
    "preflight", "access", "backup", "maintenance", "deploy", "runbook", "migrate", "migration",
    "pre-import", "onec", "1c", "flush", "import", "postflight", "api", "performance",
    "protected", "smoke", "rollback", "monitoring",
)  # fmt: skip


def normalize(name: str) -> str:
    """``Import_Products`` → ``import-products``: how step names are compared."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def slot_for(name: str) -> Slot | None:
    """The timetable row a step name refers to (None for steps the runbook does not time)."""
    key = normalize(name)
    key = _ALIASES.get(key, key)
    return next((s for s in TIMETABLE if s.name == key), None)


def budget_for(name: str) -> float | None:
    """The runbook's budget in seconds for a step name, or None when the runbook gives none."""
    slot = slot_for(name)
    if slot:
        return float(slot.budget_s)
    key = _ALIASES.get(normalize(name), normalize(name))
    return float(_EXTRA_BUDGETS[key]) if key in _EXTRA_BUDGETS else None


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
