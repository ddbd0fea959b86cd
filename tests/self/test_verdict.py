"""The Rollback Decision Matrix as a pure function: every verdict, every tier, every exit code."""

from __future__ import annotations

import pytest

from gate import checks
from gate.types import Outcome, Severity, Verdict
from gate.verdict import CheckResult, decide, tiered_severity

C, H, L = Severity.CRITICAL, Severity.HIGH, Severity.LOW


def failed(check_id: str, severity: Severity | None = None) -> CheckResult:
    return CheckResult(check_id, Outcome.FAILED, severity or checks.CHECKS[check_id].severity)


def passed(check_id: str) -> CheckResult:
    return CheckResult(check_id, Outcome.PASSED, checks.CHECKS[check_id].severity)


def skipped(check_id: str) -> CheckResult:
    return CheckResult(check_id, Outcome.SKIPPED, checks.CHECKS[check_id].severity, "no token")


def test_all_passed_is_go():
    decision = decide([passed("PRE-01"), passed("BKP-04")], False)
    assert (decision.verdict, decision.deciding_check, decision.exit_code) == (Verdict.GO, None, 0)


def test_skips_never_fail_a_run():
    assert decide([passed("PRE-01"), skipped("PRE-02")], True).verdict is Verdict.GO


@pytest.mark.parametrize("check_id", ["PRE-05", "PRE-07", "BKP-04", "MIG-01", "ONE-03"])
def test_any_failure_before_the_destructive_step_is_no_go(check_id):
    decision = decide([passed("PRE-01"), failed(check_id)], first_destructive_step_started=False)
    assert decision.verdict is Verdict.NO_GO
    assert decision.deciding_check == check_id
    assert decision.exit_code == 10


def test_no_go_names_the_first_failure_in_checklist_order():
    decision = decide([failed("BKP-02"), failed("PRE-05")], False)
    assert decision.deciding_check == "PRE-05"


@pytest.mark.parametrize(
    ("results", "verdict", "deciding", "row"),
    [
        ([failed("MIG-02")], Verdict.ROLLBACK, "MIG-02", "Django migration failed"),
        ([failed("IMP-01")], Verdict.ROLLBACK, "IMP-01", "1C import failed"),
        ([failed("PST-09", C)], Verdict.ROLLBACK, "PST-09", "error rate > 5 %"),
        ([failed("PST-09", H)], Verdict.MONITOR, "PST-09", "error rate 1–5 %"),
        ([failed("PST-08", H)], Verdict.MONITOR, "PST-08", "response time > 1000 ms"),
        ([failed("PST-08", L)], Verdict.HOTFIX, "PST-08", "response time 500–1000 ms"),
        ([failed("PST-03")], Verdict.HOTFIX, "PST-03", "missing ColorMapping"),
        ([failed("PST-03"), failed("PST-08", H)], Verdict.MONITOR, "PST-08", "response time"),
        ([failed("PST-03"), failed("PST-08", H), failed("PST-07")], Verdict.ROLLBACK, "PST-07", "critical"),
        ([passed("PST-01"), failed("RBK-02")], Verdict.MONITOR, "RBK-02", "high check failed"),
    ],
)
def test_after_the_destructive_step_the_worst_severity_decides(results, verdict, deciding, row):
    decision = decide(results, first_destructive_step_started=True)
    assert decision.verdict is verdict
    assert decision.deciding_check == deciding
    assert row in decision.matrix_row


def test_every_verdict_has_its_own_documented_exit_code():
    codes = {v: v.exit_code for v in Verdict}
    assert codes == {Verdict.GO: 0, Verdict.NO_GO: 10, Verdict.ROLLBACK: 20, Verdict.MONITOR: 30, Verdict.HOTFIX: 40}
    assert len(set(codes.values())) == len(codes)


@pytest.mark.parametrize(
    ("p95_ms", "severity"), [(120, None), (499.9, None), (500, L), (999, L), (1000, L), (1000.1, H), (4000, H)]
)
def test_latency_tiers_of_pst_08(p95_ms, severity):
    assert tiered_severity(p95_ms, [(500, L), (1000, H)]) is severity


@pytest.mark.parametrize(("rate", "severity"), [(0.0, None), (0.99, None), (1.0, H), (3, H), (5, H), (5.01, C), (8, C)])
def test_error_rate_tiers_of_pst_09(rate, severity):
    assert tiered_severity(rate, [(1, H), (5, C)]) is severity


def test_registry_matches_the_spec_table():
    assert len(checks.SPEC_IDS) == 48
    assert checks.CHECKS["PST-11"].severity is C and checks.CHECKS["PST-12"].severity is H
    assert checks.CHECKS["MIG-05"].severity is C and checks.CHECKS["MIG-05"].phase.value == "migrate"
    assert checks.CHECKS["PST-08"].severity is H and checks.CHECKS["PST-09"].severity is C
    assert [c.id for c in checks.by_phase("backup")] == ["BKP-01", "BKP-02", "BKP-03", "BKP-04"]
    assert all(c.line for c in checks.CHECKS.values())


def test_a_no_go_names_every_failed_check_and_mig_05_has_its_matrix_row():
    from gate.verdict import matrix_row

    results = [CheckResult("MIG-05", Outcome.FAILED, C), CheckResult("MIG-03", Outcome.FAILED, H)]
    decision = decide(results, False)
    assert decision.verdict is Verdict.NO_GO and decision.deciding_check == "MIG-03"
    assert "also failed: MIG-05" in decision.matrix_row
    assert "NO-GO before migrate" in matrix_row(results[0])


def test_after_the_point_of_no_return_the_post_destructive_failure_decides_not_the_one_run_past():
    results = [CheckResult("BKP-04", Outcome.FAILED, C), CheckResult("MIG-05", Outcome.FAILED, C),
               CheckResult("MIG-04", Outcome.FAILED, C)]
    decision = decide(results, True)
    assert decision.verdict is Verdict.ROLLBACK and decision.deciding_check == "MIG-04"
    assert decide(results[:2], True).deciding_check == "BKP-04", "only earlier failures: the first of them"
