"""What a newcomer sees first: one clear line and exit 2 when there is nothing to check, never a traceback
or a verdict that blames a check for a setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gate.settings import DEFAULT_ENV_FILE

REPO = Path(__file__).resolve().parents[2]
TARGET_KEYS = ("DATABASE_URL", "ENV_FILE", "RUN_DIR", "RUN_ID", "RUNBOOK")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in TARGET_KEYS}
    env.update(PYTHONPATH=str(REPO), RUNS_ROOT=str(tmp_path / "runs"), **extra)
    return env


def _preflight(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-m", "preflight"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.skipif(DEFAULT_ENV_FILE.exists(), reason="var/local.env exists here (make local-target): a target is set")
def test_preflight_without_any_target_says_so_in_one_line(tmp_path: Path) -> None:
    proc = _preflight(_env(tmp_path))
    assert proc.returncode == 2
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("no target:") and "make local-target" in lines[0] and "ENV_FILE" in lines[0]
    assert not (tmp_path / "runs").exists(), "a run was opened for a session that could not start"


def test_preflight_with_a_missing_env_file_names_it_once_and_blames_no_check(tmp_path: Path) -> None:
    proc = _preflight(_env(tmp_path, ENV_FILE="/nonexistent/target.env"))
    assert proc.returncode == 2
    out = proc.stdout + proc.stderr
    assert out.strip() == "settings: ENV_FILE=/nonexistent/target.env: no such file", out
    assert "Traceback" not in out and "NO-GO" not in out and "PRE-01" not in out


def test_a_bad_setting_is_named_with_its_file_and_line_before_any_check(tmp_path: Path) -> None:
    env_file = tmp_path / "target.env"
    env_file.write_text("DATABASE_URL=postgresql://gate@127.0.0.1:1/x\nBACKUP_JOBS=many\n")
    proc = _preflight(_env(tmp_path, ENV_FILE=str(env_file)))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"settings: BACKUP_JOBS (from {env_file}:2): Input should be a valid integer, " \
                                  "unable to parse string as an integer"
    assert "NO-GO" not in proc.stdout


def test_window_without_any_target_refuses_in_one_line(tmp_path: Path) -> None:
    if DEFAULT_ENV_FILE.exists():
        pytest.skip("var/local.env exists here (make local-target): a target is set")
    proc = subprocess.run([sys.executable, "-m", "gate.window", "migrate", "--confirm"], cwd=REPO,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert proc.stdout.strip().startswith("no target:") and len(proc.stdout.strip().splitlines()) <= 2


def test_a_missing_runbook_is_said_once_with_what_falls_back(tmp_path: Path) -> None:
    env = _env(tmp_path, DATABASE_URL="postgresql://gate@127.0.0.1:1/x", RUNBOOK=str(tmp_path / "gone.md"),
               WINDOW_OPEN="1")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-m", "preflight", "--check", "PRE-07"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert out.count(f"RUNBOOK={tmp_path / 'gone.md'}: no such file") == 1, out
    assert "budgets fall back" in out and "runbook-lint` cannot run" in out
    lint = subprocess.run([sys.executable, "-m", "gate.runbook"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert lint.returncode == 2 and lint.stdout.strip().startswith(f"RUNBOOK={tmp_path / 'gone.md'}: no such file")


def test_make_help_says_what_test_and_rehearsal_do() -> None:
    lines = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    test = next(ln for ln in lines.splitlines() if ln.split()[0] == "test")
    rehearsal = next(ln for ln in lines.splitlines() if ln.split()[0] == "rehearsal")
    assert "backend" in test
    assert "NO-GO" in rehearsal


def test_ci_resets_path_before_make_test() -> None:
    """CI sees only what the bootstrap provides, even on a machine where someone installed tools by hand."""
    text = (REPO / ".ci" / "run").read_text()
    reset = text.index("export PATH=/usr/sbin:/usr/bin:/sbin:/bin")
    assert reset < text.index("make test")


def test_the_docker_engine_we_started_runs_in_root() -> None:
    """dockerd outlives the clone that started it: it must not keep that clone as its working directory."""
    pidfile = Path(os.environ.get("DOCKERD_STATE_DIR", "/tmp/freesport-dockerd")) / "dockerd.pid"
    try:
        pid = int(pidfile.read_text().strip())
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except (OSError, ValueError):
        pytest.skip("no Docker engine started by scripts/bootstrap/docker-engine.sh is running here")
    assert cwd == "/"
