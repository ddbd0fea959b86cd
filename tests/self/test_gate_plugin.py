"""The gate's pytest plugin, run by pytester on small check files: ids, selection, summary, verdict."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INI = """[pytest]
addopts = -p gate.plugin -p no:django -p no:cacheprovider --strict-markers
testpaths = tests/preflight
xfail_strict = true
"""


@pytest.fixture
def gate(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A pytester directory set up as a gate project: ini, env pointing RUN_DIR into tmp."""
    pytester.makefile(".ini", pytest=INI)
    (tmp_path / "empty.env").write_text("")
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "empty.env"))
    monkeypatch.setenv("RUN_DIR", str(tmp_path / "run"))
    monkeypatch.delenv("RUN_ID", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return pytester


def write(pytester: pytest.Pytester, path: str, body: str) -> None:
    target = pytester.path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("import pytest\n\n" + body)


def summary(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "run" / "summary.json").read_text())


CHECK = '''
@pytest.mark.check("{id}")
def test_{name}():
    """{doc}"""
    {body}
'''


def check(id_: str, body: str = "pass", name: str | None = None) -> str:
    return CHECK.format(id=id_, name=name or id_.lower().replace("-", "_"), doc=id_, body=body)


# collection ----------------------------------------------------------------------------
def test_unknown_id_is_a_collection_error(gate):
    write(gate, "tests/preflight/test_a.py", check("PRE-99"))
    result = gate.runpytest_subprocess("tests/preflight")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown check id 'PRE-99'*"])


def test_duplicated_id_is_a_collection_error(gate):
    write(gate, "tests/preflight/test_a.py", check("PRE-01", name="one"))
    write(gate, "tests/preflight/test_b.py", check("PRE-01", name="two"))
    result = gate.runpytest_subprocess("tests/preflight")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*duplicated check id PRE-01*test_a.py::test_one*test_b.py::test_two*"])


def test_wrong_severity_and_unmarked_test_are_collection_errors(gate):
    write(gate, "tests/preflight/test_a.py", '@pytest.mark.check("PRE-05", severity="critical")\ndef test_x():\n    pass\n')
    assert gate.runpytest_subprocess("tests/preflight").ret == pytest.ExitCode.USAGE_ERROR
    write(gate, "tests/preflight/test_a.py", "def test_not_a_check():\n    pass\n")
    result = gate.runpytest_subprocess("tests/preflight")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*every test under tests/preflight/ is a check*"])


def test_checklist_ids_without_a_test_are_a_collection_error(gate):
    write(gate, "tests/preflight/test_a.py", check("PRE-01"))
    result = gate.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*checklist ids without a test: PRE-02, PRE-03*"])


def test_the_repository_has_one_test_per_checklist_id_and_co_shows_the_runbook_line():
    proc = subprocess.run([sys.executable, "-m", "pytest", "--co", "-q"], cwd=REPO, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "ENV_FILE": "/dev/null"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    from gate.checks import CHECKS, SPEC_IDS

    for check_id in SPEC_IDS:
        lines = [line for line in proc.stdout.splitlines() if line.startswith(check_id + " ")]
        assert len(lines) == 1, f"{check_id}: {lines}"
        assert CHECKS[check_id].line in lines[0]


# selection -----------------------------------------------------------------------------
def test_check_and_phase_options_select_and_report_deselected(gate, tmp_path):
    write(gate, "tests/preflight/test_a.py", check("PRE-01") + check("PRE-07") + check("BKP-03"))
    result = gate.runpytest_subprocess("tests/preflight", "--check", "PRE-07,BKP-03")
    result.assert_outcomes(passed=2, deselected=1)
    assert [c["id"] for c in summary(tmp_path)["checks"]] == ["PRE-07", "BKP-03", "GATE-01"]
    result = gate.runpytest_subprocess("tests/preflight", "--phase", "backup")
    result.assert_outcomes(passed=1, deselected=2)
    result = gate.runpytest_subprocess("tests/preflight", "-m", "preflight")
    result.assert_outcomes(passed=3)
    assert gate.runpytest_subprocess("tests/preflight", "--check", "NOPE-1").ret == pytest.ExitCode.USAGE_ERROR


# outcomes, summary, verdict ------------------------------------------------------------
def test_summary_has_specs_shape_and_a_failure_before_migrate_is_no_go(gate, tmp_path):
    write(gate, "tests/preflight/test_a.py",
          check("PRE-01")
          + check("PRE-02", 'pytest.skip("CI_TOKEN not set: check CI by hand")')
          + check("PRE-07", 'assert 2 + 2 == 5, "outside the deployment window"'))
    result = gate.runpytest_subprocess("tests/preflight")
    assert result.ret == 10
    result.stdout.fnmatch_lines(["*NO-GO*exit 10*PRE-07*"])
    data = summary(tmp_path)
    assert {"run_id", "target", "verdict", "checks", "steps"} <= set(data)
    assert data["verdict"] == "NO-GO" and data["decision"]["deciding_check"] == "PRE-07"
    rows = {c["id"]: c for c in data["checks"]}
    assert set(rows["PRE-01"]) >= {"id", "phase", "severity", "outcome", "message", "duration_s"}
    assert rows["PRE-01"]["outcome"] == "passed" and rows["PRE-01"]["phase"] == "preflight"
    assert rows["PRE-02"]["outcome"] == "skipped" and "CI_TOKEN not set" in rows["PRE-02"]["message"]
    assert rows["PRE-07"]["outcome"] == "failed" and "outside the deployment window" in rows["PRE-07"]["message"]
    assert data["manual_items"][0]["id"] == "PRE-02"
    assert rows["GATE-01"]["outcome"] == "passed"


@pytest.mark.parametrize(
    ("body", "verdict", "code"),
    [
        ("effective_severity('low'); assert False, 'p95 700 ms'", "HOTFIX", 40),
        ("effective_severity('high'); assert False, 'p95 1400 ms'", "MONITOR", 30),
        ("assert False, 'p95 9000 ms'", "MONITOR", 30),
        ("pass", "GO", 0),
    ],
)
def test_after_the_destructive_step_effective_severity_decides(gate, tmp_path, monkeypatch, body, verdict, code):
    monkeypatch.setenv("DATABASE_URL", "postgresql://gate@127.0.0.1:1/unused")  # window checks skip without a target
    write(gate, "tests/postflight/test_p.py",
          '@pytest.mark.check("PST-08")\ndef test_latency(effective_severity):\n    ' + body + "\n")
    result = gate.runpytest_subprocess("tests/postflight", "--after-destructive", "--check", "PST-08")
    assert result.ret == code
    data = summary(tmp_path)
    assert data["verdict"] == verdict
    if verdict == "HOTFIX":
        assert data["checks"][0]["effective_severity"] == "low"


def test_a_step_journal_entry_for_migrate_turns_failures_into_rollback(gate, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://gate@127.0.0.1:1/unused")
    from gate.run import Run, StepRecord

    Run.open(tmp_path / "run").record_step(StepRecord("migrate", budget_s=180))
    write(gate, "tests/postflight/test_p.py", check("PST-07", "assert False, 'orders: rows 40 → 39'"))
    result = gate.runpytest_subprocess("tests/postflight", "--check", "PST-07")
    assert result.ret == 20
    data = summary(tmp_path)
    assert data["verdict"] == "ROLLBACK" and data["steps"][0]["name"] == "migrate"


def test_setup_errors_count_as_failures(gate, tmp_path):
    write(gate, "tests/preflight/test_a.py",
          '@pytest.fixture\ndef broken():\n    raise RuntimeError("target unreachable")\n\n\n'
          '@pytest.mark.check("PRE-06")\ndef test_access(broken):\n    pass\n')
    assert gate.runpytest_subprocess("tests/preflight").ret == 10
    row = summary(tmp_path)["checks"][0]
    assert row["outcome"] == "failed" and "[setup error]" in row["message"] and "target unreachable" in row["message"]


def test_later_phases_merge_into_the_same_summary(gate, tmp_path):
    write(gate, "tests/preflight/test_a.py", check("PRE-01") + check("PRE-07", "assert False, 'closed'"))
    assert gate.runpytest_subprocess("tests/preflight", "--check", "PRE-01").ret == 0
    assert gate.runpytest_subprocess("tests/preflight", "--check", "PRE-07").ret == 10
    data = summary(tmp_path)
    assert [c["id"] for c in data["checks"]] == ["PRE-01", "PRE-07", "GATE-01"] and data["verdict"] == "NO-GO"
    write(gate, "tests/preflight/test_a.py", check("PRE-01") + check("PRE-07"))
    assert gate.runpytest_subprocess("tests/preflight", "--check", "PRE-07").ret == 0
    data = summary(tmp_path)
    assert data["verdict"] == "GO" and [c["outcome"] for c in data["checks"]] == ["passed"] * 3


def test_a_window_session_lists_its_own_checks_and_the_verdict_so_far(gate, tmp_path):
    write(gate, "tests/preflight/test_a.py", check("PRE-01") + check("PRE-07", "assert False, 'closed'"))
    assert gate.runpytest_subprocess("tests/preflight", "--check", "PRE-07").ret == 10
    alone = gate.runpytest_subprocess("tests/preflight", "--check", "PRE-01")
    in_window = gate.runpytest_subprocess("tests/preflight", "--check", "PRE-01", "--in-window")
    def rows(result) -> list[str]:
        return [line.split()[1] for line in result.stdout.lines if line.startswith("│ ") and line.count("│") > 2]

    def lines(result) -> list[str]:  # a window's session logs plain lines, no table
        return [line.split()[0] for line in result.stdout.lines if re.match(r"[A-Z]{3,4}-\d\d (passed|failed)", line)]

    assert rows(alone) == ["PRE-01", "PRE-07", "GATE-01"]  # a session alone shows the whole run
    assert rows(in_window) == [] and lines(in_window) == ["PRE-01", "GATE-01"]
    assert "NO-GO" in in_window.stdout.str() and in_window.ret == 10  # the verdict is still the run's (PRE-07's)
    assert [c["id"] for c in summary(tmp_path)["checks"]] == ["PRE-01", "PRE-07", "GATE-01"]


# nothing silently passes ---------------------------------------------------------------
def test_a_collection_error_is_never_a_quiet_go(gate, tmp_path):
    write(gate, "tests/preflight/test_a.py", check("PRE-01"))
    write(gate, "tests/preflight/test_b.py", "this is not python (\n")
    result = gate.runpytest_subprocess("tests/preflight")
    assert result.ret == 10
    rows = {c["id"]: c for c in summary(tmp_path)["checks"]}
    assert rows["GATE-01"]["outcome"] == "failed" and "test_b.py" in rows["GATE-01"]["message"]


def test_a_crashed_xdist_worker_is_never_a_quiet_go(gate, tmp_path):
    write(gate, "tests/preflight/test_a.py",
          check("PRE-01") + check("PRE-05", "import os; os._exit(3)") + check("PRE-07"))
    result = gate.runpytest_subprocess("tests/preflight", "-n", "2", "--max-worker-restart", "1")
    data = summary(tmp_path)
    assert result.ret == 10 and data["verdict"] == "NO-GO"
    rows = {c["id"]: c for c in data["checks"]}
    assert rows["GATE-01"]["outcome"] == "failed" and "worker crashed" in rows["GATE-01"]["message"]
    assert rows.get("PRE-05", {}).get("outcome") != "passed"


def test_xdist_run_writes_one_summary_with_every_check(gate, tmp_path):
    write(gate, "tests/preflight/test_a.py", check("PRE-01") + check("PRE-05") + check("PRE-07") + check("BKP-01"))
    result = gate.runpytest_subprocess("tests/preflight", "-n", "2")
    assert result.ret == 0
    rows = {c["id"]: c for c in summary(tmp_path)["checks"]}
    assert set(rows) == {"PRE-01", "PRE-05", "PRE-07", "BKP-01", "GATE-01"}
    assert rows["GATE-01"]["message"] == "4 of 4 selected check tests reported"



def test_run_dir_is_an_option_and_reaches_every_xdist_worker(gate, tmp_path, monkeypatch):
    """``--run-dir`` wins over RUN_DIR and is handed to the workers by the plugin, not through the environment."""
    given = tmp_path / "given"
    body = ('@pytest.mark.check("{id}")\ndef test_{name}(run_dir):\n'
            '    import os\n    (run_dir / f"seen-{name}").write_text(str(os.environ.get("RUN_DIR")))\n')
    write(gate, "tests/preflight/test_a.py", "".join(body.format(id=i, name=i.lower().replace("-", "_"))
                                                     for i in ("PRE-01", "PRE-05", "PRE-07", "BKP-01")))
    result = gate.runpytest_subprocess("tests/preflight", "-n", "2", "--run-dir", str(given))
    assert result.ret == 0, result.stdout.str()[-2000:]
    assert sorted(p.name for p in given.glob("seen-*")) == ["seen-bkp_01", "seen-pre_01", "seen-pre_05", "seen-pre_07"]
    assert {p.read_text() for p in given.glob("seen-*")} == {str(tmp_path / "run")}  # the environment untouched
    assert set(r["id"] for r in json.loads((given / "summary.json").read_text())["checks"]) >= {"PRE-01", "BKP-01"}
    assert not (tmp_path / "run").exists()


# allure ----------------------------------------------------------------------------------
def test_allure_results_carry_id_severity_suite_and_runbook_line(gate, tmp_path):
    write(gate, "tests/preflight/test_a.py", check("BKP-04", name="backup_restores"))
    assert gate.runpytest_subprocess("tests/preflight").ret == 0
    results = list((tmp_path / "run" / "allure-results").glob("*-result.json"))
    assert len(results) == 1
    data = json.loads(results[0].read_text())
    labels = {(label["name"], label["value"]) for label in data["labels"]}
    assert {("as_id", "BKP-04"), ("severity", "blocker"), ("suite", "backup"), ("tag", "critical")} <= labels
    assert data["name"].startswith("BKP-04 ")
    assert data["description"].startswith("the backup restores into a disposable PostgreSQL")


def test_a_postflight_check_never_gets_a_snapshot_taken_after_the_fact(gate, tmp_path, monkeypatch, gate_db):
    monkeypatch.setenv("DATABASE_URL", gate_db.dsn)
    write(gate, "tests/postflight/test_p.py",
          '@pytest.mark.check("PST-07")\ndef test_protected(pre_snapshot):\n    pass\n')
    result = gate.runpytest_subprocess("tests/postflight", "--after-destructive", "--check", "PST-07")
    assert result.ret == 20
    row = summary(tmp_path)["checks"][0]
    assert row["outcome"] == "failed" and "has no backup" in row["message"]
    assert not (tmp_path / "run" / "backup.json").exists()
