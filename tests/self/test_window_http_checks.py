"""The window's HTTP checks run as the gate runs them (pytest sessions over real HTTP), each failing on its fault."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from window_support import FakeApi, fake_api

REPO = Path(__file__).resolve().parents[2]
XDIST = ("-n", "2", "--dist", "loadgroup")


def run_checks(env: dict[str, str], ids: str, *extra: str) -> dict:
    """Run the gate's checks ``ids`` in a subprocess; return the run's summary."""
    proc = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "pytest", "-p", "no:cacheprovider", "tests/window",
         "tests/postflight", "--check", ids, "-q", *extra],
        cwd=REPO, env={**os.environ, **env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=240)
    summary = Path(env["RUN_DIR"]) / "summary.json"
    assert summary.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(summary.read_text())


def row(summary: dict, check_id: str) -> dict:
    return next(r for r in summary["checks"] if r["id"] == check_id)


def test_mnt_01_fails_when_the_api_still_answers_200(gate_env):
    with fake_api(FakeApi(maintenance=False)) as api:
        summary = run_checks({**gate_env, "BASE_URL": api.base_url}, "MNT-01")
    assert row(summary, "MNT-01")["outcome"] == "failed" and "answered 200, not 503" in row(summary, "MNT-01")["message"]
    assert summary["verdict"] == "NO-GO"


def test_mnt_01_passes_and_mnt_02_fails_while_maintenance_is_still_on(gate_env):
    with fake_api(FakeApi(maintenance=True)) as api:
        summary = run_checks({**gate_env, "BASE_URL": api.base_url}, "MNT-01,MNT-02", "--after-destructive")
    assert row(summary, "MNT-01")["outcome"] == "passed"
    assert row(summary, "MNT-02")["outcome"] == "failed" and "maintenance still on" in row(summary, "MNT-02")["message"]
    assert summary["verdict"] == "ROLLBACK"


def test_pst_08_slow_endpoint_fails_low_and_the_verdict_is_hotfix(gate_env):
    with fake_api(FakeApi(delay_s=0.6)) as api:
        summary = run_checks({**gate_env, "BASE_URL": api.base_url, "BURST_REQUESTS": "8", "BURST_CONCURRENCY": "4"},
                             "PST-08", "--after-destructive")
    pst08 = row(summary, "PST-08")
    assert pst08["outcome"] == "failed" and pst08["effective_severity"] == "low"
    assert summary["verdict"] == "HOTFIX"


def test_pst_08_above_one_second_is_high_and_pst_09_errors_are_critical(gate_env):
    statuses = {"/api/products/": 500}
    with fake_api(FakeApi(delay_s=1.05, statuses=statuses)) as api:
        summary = run_checks({**gate_env, "BASE_URL": api.base_url, "BURST_REQUESTS": "4", "BURST_CONCURRENCY": "4"},
                             "PST-08,PST-09", "--after-destructive")
    pst08 = row(summary, "PST-08")
    assert pst08["outcome"] == "failed" and pst08.get("effective_severity", pst08["severity"]) == "high"
    pst09 = row(summary, "PST-09")
    assert pst09["outcome"] == "failed" and pst09.get("effective_severity", pst09["severity"]) == "critical"
    assert summary["verdict"] == "ROLLBACK"


def _access_log(log_dir: Path, ok: int, errors: int) -> None:
    from datetime import UTC, datetime

    log_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    lines = [f'1.2.3.4 - - [{stamp}] "GET /api/products/ HTTP/1.1" {500 if i < errors else 200} 5 "-" "c" '
             "request_time 0.040" for i in range(ok + errors)]
    (log_dir / "access.log").write_text("\n".join(lines) + "\n")


def test_make_monitor_repeats_mon_01_and_3pct_errors_in_the_logs_is_monitor(gate_env, tmp_path):
    _access_log(tmp_path / "log", 97, 3)
    env = {**os.environ, **gate_env, "LOG_DIR": str(tmp_path / "log"), "MONITOR_ROUNDS": "2",
           "MONITOR_INTERVAL_MINUTES": "0.001", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-m", "gate.window.monitor", "--after-destructive"],
                          cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=240)
    rounds = [json.loads(line) for line in (Path(gate_env["RUN_DIR"]) / "monitor.jsonl").read_text().splitlines()]
    assert len(rounds) == 2 and all(r["outcome"] == "failed" for r in rounds)
    assert "3.00 % errors" in rounds[0]["message"]
    summary = json.loads((Path(gate_env["RUN_DIR"]) / "summary.json").read_text())
    assert summary["verdict"] == "MONITOR" and proc.returncode == 30, proc.stdout[-2000:]


def test_mon_01_passes_on_clean_logs(gate_env, tmp_path):
    _access_log(tmp_path / "log", 200, 1)
    summary = run_checks({**gate_env, "LOG_DIR": str(tmp_path / "log")}, "MON-01")
    assert row(summary, "MON-01")["outcome"] == "passed" and "0.50 % errors" in row(summary, "MON-01")["message"]


def test_pst_04_list_count_not_equal_to_active_products_and_a_500_fail(gate_env):
    with fake_api(FakeApi(products=299)) as api:
        summary = run_checks({**gate_env, "BASE_URL": api.base_url}, "PST-04", "--after-destructive")
    assert "/products/ count 299 ≠ 300 active products" in row(summary, "PST-04")["message"]
    with fake_api(FakeApi(statuses={"/api/products/": 500})) as api:
        summary = run_checks({**gate_env, "BASE_URL": api.base_url}, "PST-04", "--after-destructive")
    assert "answered HTTP 500" in row(summary, "PST-04")["message"] and summary["verdict"] == "ROLLBACK"


def test_pst_06_category_count_is_the_gates_reading_of_the_1c_groups(gate_env, tmp_path):
    from window_support import write_package

    package = write_package(tmp_path / "onec")
    with fake_api(FakeApi(categories=3)) as api:
        summary = run_checks({**gate_env, "BASE_URL": api.base_url, "ONEC_DATA_DIR": str(package)}, "PST-06")
    assert "/categories/ count 3 ≠ 2 groups in the 1C files" in row(summary, "PST-06")["message"]


def test_imp_02_an_import_over_its_budget_fails_high(gate_env):
    run_dir = Path(gate_env["RUN_DIR"])
    run_dir.mkdir(parents=True, exist_ok=True)
    entries = [{"name": "import", "event": "start", "budget_s": 1800, "started_at": "2026-01-24T02:27:00+03:00"},
               {"name": "import", "event": "end", "budget_s": 1800, "duration_s": 2400.0, "exit_code": 0,
                "started_at": "2026-01-24T02:27:00+03:00", "finished_at": "2026-01-24T03:07:00+03:00"}]
    (run_dir / "journal.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    summary = run_checks(gate_env, "IMP-02")
    assert "the import took 2400s > budget 1800s" in row(summary, "IMP-02")["message"]
    assert summary["verdict"] == "MONITOR"


def test_pst_08_and_09_share_one_burst_under_xdist(gate_env):
    """Under pytest-xdist (the window's postflight: -n 2 --dist loadgroup) the burst runs once, not once per worker."""
    with fake_api(FakeApi()) as api:
        summary = run_checks({**gate_env, "BASE_URL": api.base_url, "BURST_REQUESTS": "12", "BURST_CONCURRENCY": "4"},
                             "PST-08,PST-09", "--after-destructive", *XDIST)
        hits = api.hits
    assert row(summary, "PST-08")["outcome"] == "passed" and "over 12 requests" in row(summary, "PST-08")["message"]
    assert 12 <= hits < 24, f"{hits} requests: the burst of 12 ran more than once"
