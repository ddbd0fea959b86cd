"""The guard covers every destructive phase: migrate, flush, import and the rollback refuse after a stop.

Each real step script (scripts/steps/*.sh, scripts/deploy/rollback_production.sh) runs against a
synthetic shop with a ``MANAGE_CMD`` that leaves a marker when called: a refusal exits 3 (the
rollback script: 2, its own "refused, nothing changed") and the marker proves nothing ran. An
explicit override runs the step, is recorded with its reason and shows on the sign-off page.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from gate.backup import take_backup
from gate.report.run_view import load_run
from gate.report.signoff import render_html
from gate.rollback import run_rollback_script
from gate.run import Run, StepRecord, write_summary
from gate.settings import load_settings
from gate.types import Outcome, Severity
from gate.verdict import CheckResult
from gate.window.runner import WindowRunner

REPO = Path(__file__).resolve().parents[2]
BKP = [CheckResult(i, Outcome.PASSED, Severity.CRITICAL) for i in ("BKP-01", "BKP-02", "BKP-03", "BKP-04")]
NO_GO = CheckResult("PRE-06", Outcome.FAILED, Severity.CRITICAL, "database unreachable")


def _run(gate_env: dict[str, str], results: list[CheckResult], done: tuple[str, ...]) -> Run:
    settings = load_settings(environ=gate_env, env_file=None)
    run = Run.open(settings.run_dir)
    for name in done:
        run.record_step(StepRecord(name, exit_code=0, duration_s=0.1))
    write_summary(run, results, settings.target)
    return run


def _manage(tmp_path: Path) -> tuple[str, Path]:
    marker = tmp_path / "manage-called"
    script = tmp_path / "manage.sh"
    script.write_text(f'#!/usr/bin/env bash\necho "$@" >> {marker}\n')
    script.chmod(0o755)
    return str(script), marker


def _step(name: str, gate_env: dict[str, str], manage: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **gate_env, "MANAGE_CMD": manage, "PYTHONPATH": str(REPO), "CONFIRM": "yes",
           "ONEC_DATA_DIR": str(REPO / "backend" / "sample_data" / "commerceml"), **extra}
    env.pop("GUARD_OVERRIDE", None) if "GUARD_OVERRIDE" not in extra else None
    return subprocess.run(["bash", str(REPO / "scripts" / "steps" / f"{name}.sh")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("step", ["migrate", "flush", "import"])
def test_every_destructive_step_refuses_after_a_no_go_and_runs_nothing(step, gate_env, tmp_path):
    _run(gate_env, [*BKP, NO_GO], ("backup", "maintenance_on", "deploy"))
    manage, marker = _manage(tmp_path)
    proc = _step(step, gate_env, manage)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "refused, nothing changed" in proc.stderr and "verdict is already NO-GO" in proc.stderr
    assert "PRE-06" in proc.stderr
    assert not marker.exists(), "manage.py was never called"


def test_a_step_refuses_while_an_earlier_step_has_not_completed(gate_env, tmp_path):
    _run(gate_env, BKP, ("backup", "maintenance_on"))
    manage, marker = _manage(tmp_path)
    proc = _step("migrate", gate_env, manage)
    assert proc.returncode == 3 and "the earlier step deploy has not completed" in proc.stderr
    assert not marker.exists()


def test_an_override_runs_the_step_is_recorded_and_shows_on_the_signoff(gate_env, tmp_path):
    run = _run(gate_env, [*BKP, NO_GO], ("backup", "maintenance_on", "deploy"))
    manage, marker = _manage(tmp_path)
    proc = _step("migrate", gate_env, manage, GUARD_OVERRIDE="DBA checked PRE-06 by hand (ticket 4711)")
    assert proc.returncode == 0, proc.stderr
    assert "OVERRIDE recorded" in proc.stdout and marker.exists()
    entry = json.loads((run.dir / "overrides.jsonl").read_text().splitlines()[-1])
    assert entry["step"] == "migrate" and entry["reason"] == "DBA checked PRE-06 by hand (ticket 4711)"
    assert any("NO-GO" in o for o in entry["overridden"])
    html = render_html(load_run(run.dir))
    assert "Guard overrides" in html and "DBA checked PRE-06 by hand (ticket 4711)" in html


def test_a_refused_step_leaves_the_no_go_as_it_was(gate_env, tmp_path, monkeypatch):
    run = _run(gate_env, [*BKP, NO_GO], ("backup", "maintenance_on", "deploy"))
    manage, marker = _manage(tmp_path)
    for key, value in {**gate_env, "MANAGE_CMD": manage}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GUARD_OVERRIDE", raising=False)
    runner = WindowRunner(load_settings(), run, confirm=True, console=Console(file=io.StringIO()), checks_on=False)
    assert runner.run_window(only="migrate") == "NO-GO"
    summary = run.read_summary()
    assert summary["decision"]["deciding_check"] == "PRE-06"
    mig02 = next(r for r in summary["checks"] if r["id"] == "MIG-02")
    assert "refused, nothing changed" in mig02["message"], "the step's claim is not kept, and says why"
    assert not run.destructive_started() and not marker.exists()


def test_the_rollback_refuses_after_a_no_go_unless_overridden(gate_env):
    settings = load_settings(environ=gate_env, env_file=None)
    run = Run.open(settings.run_dir)
    dump = Path(take_backup(settings, run).path)
    write_summary(run, [*BKP, NO_GO], settings.target)
    env = {"DATABASE_URL": gate_env["DATABASE_URL"], "RUN_DIR": gate_env["RUN_DIR"], "APP_STOP_CMD": ":",
           "APP_START_CMD": ":", "CHECKOUT_CMD": ":", "ROLLBACK_KEEP_OLD": "no"}
    refused = run_rollback_script(dump, env)
    assert refused.exit_code == 2 and "verdict is NO-GO" in refused.output and "nothing was changed" in refused.output
    assert not (run.dir / "rollback.json").exists()
    forced = run_rollback_script(dump, {**env, "ROLLBACK_OVERRIDE": "restore drill requested by the DBA"})
    assert forced.exit_code == 0, forced.output
    entry = json.loads((run.dir / "overrides.jsonl").read_text().splitlines()[-1])
    assert entry["step"] == "rollback" and entry["reason"] == "restore drill requested by the DBA"
