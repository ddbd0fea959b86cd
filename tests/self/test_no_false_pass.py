"""No false passes (issue 11, item 5): nothing of the target's to look at is a manual item, never a pass.

PRE-01 on a foreign target whose QA_GATES_DIR is still the gate's own ``docs/qa/gates`` is skipped
naming QA_GATES_DIR; RUN-02 with no place for the deployment's scripts on the target is skipped
naming RUNBOOK_PATHS; both still pass on the bundled backend, where those files are its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from foreign_lint_target import make_foreign_target

from gate.runbook.linter import Linter
from gate.settings import load_settings
from gate.window.window_manifest import window_lines

REPO = Path(__file__).resolve().parents[2]


def run_check(env: dict[str, str], ids: str) -> dict[str, dict]:
    full_env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": "/tmp", **env}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-m", "preflight", "-p", "no:randomly", "--check", ids],
                          cwd=REPO, env=full_env, capture_output=True, text=True, timeout=300)
    summary = Path(env["RUN_DIR"]) / "summary.json"
    assert summary.exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    data = json.loads(summary.read_text())
    return {c["id"]: c for c in data["checks"]} | {"_manual": {m["id"]: m for m in data.get("manual_items", [])}}


def test_pre01_never_passes_on_the_gates_own_qa_files_for_a_foreign_target(gate_env, tmp_path):
    env = {k: v for k, v in gate_env.items() if k != "QA_GATES_DIR"}
    make_foreign_target(tmp_path / "foreign")
    rows = run_check({**env, "BACKEND_DIR": str(tmp_path / "foreign" / "app")}, "PRE-01")
    assert rows["PRE-01"]["outcome"] == "skipped", rows["PRE-01"]
    assert "QA_GATES_DIR" in rows["PRE-01"]["message"] and "PRE-01" in rows["_manual"]


def test_pre01_reads_the_targets_own_qa_files_when_named(gate_env, tmp_path):
    make_foreign_target(tmp_path / "foreign")
    rows = run_check({**gate_env, "BACKEND_DIR": str(tmp_path / "foreign" / "app")}, "PRE-01")
    assert rows["PRE-01"]["outcome"] == "passed", rows["PRE-01"]


def test_pre01_passes_on_the_bundled_backends_own_qa_files(gate_env):
    env = {k: v for k, v in gate_env.items() if k != "QA_GATES_DIR"}
    rows = run_check(env, "PRE-01")
    assert rows["PRE-01"]["outcome"] == "passed", rows["PRE-01"]


def test_run02_deployment_scripts_are_a_manual_item_without_a_place_on_the_target(tmp_path, monkeypatch):
    env = make_foreign_target(tmp_path)
    (tmp_path / "foreign.env").write_text("".join(f"{k}={v}\n" for k, v in env.items() if k != "RUNBOOK_PATHS"))
    for key in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "MANAGE_CMD", "BACKEND_DIR", "RUNBOOK_PATHS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "foreign.env"))
    linter = Linter(load_settings())
    lines = window_lines(linter.settings)
    linter.prepare(lines)
    reports = {r.text: r for r in (linter.lint_line(line) for line in lines)}
    deploy = reports["./scripts/deploy/backup_production_db.sh"]
    assert deploy.status == "manual" and "RUNBOOK_PATHS" in deploy.detail
    assert all(r.status == "covered" for t, r in reports.items() if t.startswith("./scripts/steps/"))
    # with the deployment's place named, the script is looked up there (and is missing: drift, not a pass)
    (tmp_path / "foreign.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    linter = Linter(load_settings())
    linter.prepare(lines)
    report = linter.lint_line(next(line for line in lines if line.text == "./scripts/deploy/backup_production_db.sh"))
    assert report.status == "drift" and f"{tmp_path}/app/scripts/deploy" in report.detail
