"""The gate's vocabulary: check ids, severities, outcomes, verdicts and phases.

>>> Verdict.ROLLBACK.exit_code
20
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeAlias

CheckId: TypeAlias = str
TableName: TypeAlias = str


class Severity(StrEnum):
    """How bad a failed check is (the runbook's Rollback Decision Matrix column)."""

    CRITICAL = "critical"
    HIGH = "high"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Ordering helper: critical 3 > high 2 > low 1."""
        return {"critical": 3, "high": 2, "low": 1}[self.value]


class Outcome(StrEnum):
    """What happened to one check in one run."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


class Verdict(StrEnum):
    """The decision a run ends with; each has its own process exit code.

    | verdict  | exit | meaning                                                    |
    |----------|------|------------------------------------------------------------|
    | GO       | 0    | every check passed (skips are manual sign-off items)       |
    | NO-GO    | 10   | a check failed before the first destructive step: stop     |
    | ROLLBACK | 20   | a critical check failed after it: restore the backup        |
    | MONITOR  | 30   | a high check failed: watch for an hour, then decide        |
    | HOTFIX   | 40   | only low checks failed: fix forward                        |
    """

    GO = "GO"
    NO_GO = "NO-GO"
    ROLLBACK = "ROLLBACK"
    MONITOR = "MONITOR"
    HOTFIX = "HOTFIX"

    @property
    def exit_code(self) -> int:
        """The process exit status for this verdict (GO 0, NO-GO 10, ROLLBACK 20, MONITOR 30, HOTFIX 40)."""
        return EXIT_CODES[self]


EXIT_CODES: dict[Verdict, int] = {
    Verdict.GO: 0,
    Verdict.NO_GO: 10,
    Verdict.ROLLBACK: 20,
    Verdict.MONITOR: 30,
    Verdict.HOTFIX: 40,
}


class Phase(StrEnum):
    """The window's phases in runbook order; every check belongs to one (its pytest marker)."""

    PREFLIGHT = "preflight"
    BACKUP = "backup"
    MAINTENANCE_ON = "maintenance_on"
    DEPLOY = "deploy"
    MIGRATE = "migrate"
    PRE_IMPORT = "pre_import"
    FLUSH = "flush"
    IMPORT = "import"
    POSTFLIGHT = "postflight"
    MAINTENANCE_OFF = "maintenance_off"
    ROLLBACK = "rollback"
    MONITOR = "monitor"
    GATE = "gate"
