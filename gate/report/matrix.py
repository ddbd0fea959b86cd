"""Which row of the Rollback Decision Matrix decided the verdict, in words people sign.

The gate's plugin normally records ``decision`` (verdict, deciding check, matrix row) in
summary.json. When it does not (an older run, a partial summary), the report explains the
verdict itself from the checks with the same rule SPEC.md states — the explanation is
marked as derived so nobody mistakes it for the gate's own decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gate.report.run_view import Check, Decision, Run


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One row of the runbook's matrix (plus the gate's rows for NO-GO and GO)."""

    key: str
    problem: str
    severity: str
    rollback: str
    action: str
    verdict: str

    @property
    def text(self) -> str:
        parts = (self.problem, "" if self.severity == "—" else self.severity, f"rollback: {self.rollback}", self.action)
        return " — ".join(p for p in parts if p)


MATRIX: Final[tuple[MatrixRow, ...]] = (
    MatrixRow("migration-failed", "Django migration failed", "Critical", "YES", "Immediate rollback", "ROLLBACK"),
    MatrixRow("import-failed", "1C import failed", "Critical", "YES", "Rollback + investigation", "ROLLBACK"),
    MatrixRow("slow-api", "Response time > 1000 ms", "High", "MAYBE", "Monitor 1 h, then decide", "MONITOR"),
    MatrixRow("error-rate-critical", "Error rate > 5 %", "Critical", "YES", "Immediate rollback", "ROLLBACK"),
    MatrixRow("error-rate-high", "Error rate 1–5 %", "High", "MAYBE", "Monitoring + hotfix", "MONITOR"),
    MatrixRow("missing-colors", "Missing ColorMapping", "Low", "NO", "Hotfix (add the colours)", "HOTFIX"),
    MatrixRow("critical-after-change", "A critical check failed after the data started changing", "Critical", "YES",
              "Rollback (restore the pre-migration backup)", "ROLLBACK"),
    MatrixRow("high-after-change", "A high check failed after the data started changing", "High", "MAYBE",
              "Monitor 1 h, then decide", "MONITOR"),
    MatrixRow("low-after-change", "A low check failed after the data started changing", "Low", "NO", "Hotfix", "HOTFIX"),
    MatrixRow("failed-before-change", "A check failed before the first step that changes data", "—", "NO (nothing changed)",
              "NO-GO: do not start the window", "NO-GO"),
    MatrixRow("all-passed", "Every check passed", "—", "NO", "GO: the migration stands", "GO"),
)  # fmt: skip
_SEVERITY_FOR_VERDICT: Final = {"ROLLBACK": "critical", "MONITOR": "high", "HOTFIX": "low"}


def row(key: str) -> MatrixRow:
    return next(r for r in MATRIX if r.key == key)


def row_for_check(check: Check | None, verdict: str) -> MatrixRow:
    """The matrix row that a failed check stands for under ``verdict``."""
    if verdict == "GO" or check is None:
        return row("all-passed") if verdict == "GO" else row("failed-before-change")
    if verdict == "NO-GO":
        return row("failed-before-change")
    ident = check.id.upper()
    if ident.startswith("MIG-"):
        return row("migration-failed")
    if ident.startswith("IMP-01"):
        return row("import-failed")
    if ident in ("PST-08", "MON-01"):
        return row("slow-api")
    if ident == "PST-09":
        return row("error-rate-critical" if verdict == "ROLLBACK" else "error-rate-high")
    if ident in ("COL-01", "PST-03"):
        return row("missing-colors")
    return row({"ROLLBACK": "critical-after-change", "MONITOR": "high-after-change"}.get(verdict, "low-after-change"))


def _deciding_check(run: Run) -> Check | None:
    failed = [c for c in run.checks if c.outcome in ("failed", "error", "broken")]
    if run.verdict == "NO-GO":
        return failed[0] if failed else None
    wanted = _SEVERITY_FOR_VERDICT.get(run.verdict)
    return next((c for c in failed if c.severity == wanted), failed[0] if failed else None)


def decide_explanation(run: Run) -> Decision:
    """The recorded decision, completed where it is missing; derived from the checks otherwise."""
    recorded = run.decision
    if recorded and recorded.matrix_row:
        return recorded
    if recorded and recorded.deciding_check:
        matched = row_for_check(run.check(recorded.deciding_check), run.verdict)
        return Decision(run.verdict, recorded.deciding_check, matched.text, derived=True)
    check = None if run.verdict == "GO" else _deciding_check(run)
    matched = row_for_check(check, run.verdict)
    return Decision(run.verdict, check.id if check else None, matched.text, derived=True)
