"""The real preflight (tests/preflight) end to end against a synthetic target: GO, NO-GO, no secret leaks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "Gate-Secret-Pw-5e1c9a"


@pytest.fixture
def app_user_env(gate_env, gate_db, gate_pg):
    """``gate_env`` with DATABASE_URL of a login role holding exactly what a dump needs, known password."""
    gate_db.execute(f"DO $$ BEGIN CREATE ROLE gate_app LOGIN PASSWORD '{PASSWORD}'; "
                    "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    gate_db.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO gate_app; "
                    "GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO gate_app")
    url = gate_db.dsn.replace(f"{gate_pg.user}:{gate_pg.password}@", f"gate_app:{PASSWORD}@")
    return {**gate_env, "DATABASE_URL": url}


def run_preflight(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full_env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": "/tmp", **env}
    return subprocess.run([sys.executable, "-m", "pytest", "-m", "preflight", "-p", "no:randomly", *args],
                          cwd=REPO, env=full_env, capture_output=True, text=True, timeout=300)


def test_full_preflight_is_go_lists_every_pre_and_bkp_id_and_leaks_no_secret(app_user_env, tmp_path):
    proc = run_preflight(app_user_env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    run_dir = Path(app_user_env["RUN_DIR"])
    data = json.loads((run_dir / "summary.json").read_text())
    ids = {c["id"]: c["outcome"] for c in data["checks"]}
    expected = [f"PRE-0{i}" for i in range(1, 8)] + [f"BKP-0{i}" for i in range(1, 5)]
    assert set(expected) <= set(ids) and data["verdict"] == "GO"
    assert all(ids[i] == "passed" for i in ("PRE-01", "PRE-06", "PRE-07", "BKP-01", "BKP-02", "BKP-03", "BKP-04"))
    assert {m["id"] for m in data["manual_items"]} == {"PRE-02", "PRE-03", "PRE-04", "PRE-05"}
    assert "gate_app@" in data["target"]
    leaks = [str(p) for root in (run_dir, Path(app_user_env["BACKUP_DIR"])) for p in root.rglob("*")
             if p.is_file() and PASSWORD.encode() in p.read_bytes()]
    assert leaks == []
    assert PASSWORD not in output


def test_qa_gate_fail_makes_preflight_no_go_with_exit_10(app_user_env, qa_gates_dir):
    (qa_gates_dir / "13.2-story.yml").write_text('story: "13.2"\ngate: FAIL\n')
    proc = run_preflight(app_user_env, "--check", "PRE-01,PRE-07")
    assert proc.returncode == 10, proc.stdout[-3000:]
    assert "NO-GO" in proc.stdout and "13.2: gate FAIL" in proc.stdout


def test_outside_the_window_makes_preflight_no_go(app_user_env):
    env = {**app_user_env, "WINDOW_OPEN": "false", "WINDOW_NOW": "2026-01-24T14:00:00+03:00"}
    proc = run_preflight(env, "--check", "PRE-07")
    assert proc.returncode == 10
    data = json.loads((Path(env["RUN_DIR"]) / "summary.json").read_text())
    assert "outside the deployment window" in data["checks"][0]["message"]


def test_unreachable_target_is_no_go_not_a_skip(gate_env):
    env = {**gate_env, "DATABASE_URL": "postgresql://gate:pw@127.0.0.1:1/none"}
    proc = run_preflight(env, "--check", "PRE-06")
    assert proc.returncode == 10
    row = json.loads((Path(env["RUN_DIR"]) / "summary.json").read_text())["checks"][0]
    assert row["outcome"] == "failed" and "unreachable" in row["message"] and ":pw@" not in row["message"]


def test_no_target_configured_is_no_go_not_a_quiet_go(tmp_path, qa_gates_dir):
    (tmp_path / "empty.env").write_text("")
    env = {"ENV_FILE": str(tmp_path / "empty.env"), "RUN_DIR": str(tmp_path / "run"), "WINDOW_OPEN": "1",
           "QA_GATES_DIR": str(qa_gates_dir)}
    proc = run_preflight(env)
    assert proc.returncode == 10, proc.stdout[-3000:]
    rows = {c["id"]: c for c in json.loads((tmp_path / "run" / "summary.json").read_text())["checks"]}
    assert rows["PRE-06"]["outcome"] == "failed" and "DATABASE_URL is not set" in rows["PRE-06"]["message"]
    assert all(rows[f"BKP-0{i}"]["outcome"] == "failed" for i in range(1, 5))
