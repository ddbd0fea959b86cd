"""The runbook's Rollback Decision Matrix as a pure function of check results.

Before the first destructive step (``migrate``) any failed check is NO-GO: nothing has
changed yet. After it the worst failed severity decides: critical → ROLLBACK, high →
MONITOR, low → HOTFIX; nothing failed → GO. Skips never fail a run: they become the
sign-off's manual items.

>>> decide([CheckResult("PST-08", Outcome.FAILED, Severity.LOW)], True).verdict
<Verdict.HOTFIX: 'HOTFIX'>
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gate import checks
from gate.types import CheckId, Outcome, Severity, Verdict


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's result in a run; ``severity`` is the effective one (a tiered check may lower it).

    >>> CheckResult("BKP-03", Outcome.PASSED, Severity.CRITICAL).failed
    False
    """

    id: CheckId
    outcome: Outcome
    severity: Severity
    message: str = ""
    duration_s: float = 0.0
    phase: str = field(default="")

    @property
    def failed(self) -> bool:
        """The check ran and did not hold."""
        return self.outcome is Outcome.FAILED


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict, the check that decided it and the matrix row that applied.

    >>> Decision(Verdict.GO, None, "every check passed").exit_code
    0
    """

    verdict: Verdict
    deciding_check: CheckId | None
    matrix_row: str

    @property
    def exit_code(self) -> int:
        """The process exit status for this decision's verdict."""
        return self.verdict.exit_code


MATRIX_ROWS: dict[tuple[str, Severity], str] = {
    ("MIG", Severity.CRITICAL): "Django migration failed (critical) → immediate rollback",
    ("MIG-05", Severity.CRITICAL): "the release's migrations, tried on the backup's copy, change protected rows, "
                                   "fail or overrun the migrate budget (critical) → NO-GO before migrate",
    ("IMP", Severity.CRITICAL): "1C import failed (critical) → rollback + investigation",
    ("PST-08", Severity.HIGH): "response time > 1000 ms (high) → monitor 1 h, then decide",
    ("PST-08", Severity.LOW): "response time 500–1000 ms (low) → hotfix",
    ("PST-09", Severity.CRITICAL): "error rate > 5 % (critical) → immediate rollback",
    ("PST-09", Severity.HIGH): "error rate 1–5 % (high) → monitor + hotfix",
    ("MON-01", Severity.HIGH): "error rate / response time over threshold after the window (high) → monitor + hotfix",
    ("COL-01", Severity.LOW): "missing ColorMapping (low) → hotfix (add the colors), no rollback",
    ("PST-03", Severity.LOW): "missing ColorMapping (low) → hotfix (add the colors), no rollback",
}

GENERIC_ROWS: dict[Severity, tuple[Verdict, str]] = {
    Severity.CRITICAL: (Verdict.ROLLBACK, "a critical check failed after the first destructive step → rollback"),
    Severity.HIGH: (Verdict.MONITOR, "a high check failed → monitor 1 h, then decide"),
    Severity.LOW: (Verdict.HOTFIX, "a low check failed → hotfix, no rollback"),
}

VERDICT_BY_SEVERITY: dict[Severity, Verdict] = {s: v for s, (v, _) in GENERIC_ROWS.items()}


def matrix_row(result: CheckResult) -> str:
    """The Rollback Decision Matrix row naming this failed check, else the generic row of its severity.

    >>> matrix_row(CheckResult("PST-09", Outcome.FAILED, Severity.HIGH))
    'error rate 1–5 % (high) → monitor + hotfix'
    """
    for key in (result.id, result.id.split("-")[0]):
        row = MATRIX_ROWS.get((key, result.severity))
        if row:
            return row
    return GENERIC_ROWS[result.severity][1]


def _order(check_id: CheckId) -> int:
    ids = list(checks.CHECKS)
    return ids.index(check_id) if check_id in checks.CHECKS else len(ids)


def decide(results: Iterable[CheckResult], first_destructive_step_started: bool) -> Decision:
    """The verdict of a run from its check results.

    >>> decide([], False)
    Decision(verdict=<Verdict.GO: 'GO'>, deciding_check=None, matrix_row='every check passed')
    """
    failed = sorted((r for r in results if r.failed), key=lambda r: (-r.severity.rank, _order(r.id)))
    if not failed:
        return Decision(Verdict.GO, None, "every check passed")
    worst = failed[0]
    if not first_destructive_step_started:
        by_order = sorted(failed, key=lambda r: _order(r.id))
        first = by_order[0]
        also = [r.id for r in by_order[1:]]
        return Decision(
            Verdict.NO_GO,
            first.id,
            f"{first.id} failed before the first destructive step (migrate)"
            + (f" (also failed: {', '.join(also)})" if also else "")
            + " → NO-GO: nothing changed, do not start",
        )
    # after the point of no return the check that decided the post-destructive verdict is named, not an
    # earlier failure someone ran past (a forced window): same severity, a later check first
    later = [r for r in failed if r.severity is worst.severity and r.id not in checks.DECIDED_BEFORE_MIGRATE]
    deciding = later[0] if later else worst
    return Decision(VERDICT_BY_SEVERITY[worst.severity], deciding.id, matrix_row(deciding))


def tiered_severity(value: float, tiers: Iterable[tuple[float, Severity]]) -> Severity | None:
    """The severity a measured value fails with; ``None`` when it passes.

    Tiers are ``(threshold, severity)`` in rising order: the lowest threshold is where
    failing starts (inclusive: "p95 < 500 ms" fails at 500), each higher one takes over
    strictly above it ("above 1000 ms as high"). PST-08: ``[(500, LOW), (1000, HIGH)]``;
    PST-09 in percent: ``[(1, HIGH), (5, CRITICAL)]``.

    >>> tiered_severity(750, [(500, Severity.LOW), (1000, Severity.HIGH)])
    <Severity.LOW: 'low'>
    >>> tiered_severity(1000.5, [(500, Severity.LOW), (1000, Severity.HIGH)])
    <Severity.HIGH: 'high'>
    """
    ordered = sorted(tiers, key=lambda t: t[0])
    found: Severity | None = None
    for index, (threshold, severity) in enumerate(ordered):
        if (value >= threshold) if index == 0 else (value > threshold):
            found = severity
    return found
