"""The rehearsal's rollback turns maintenance off with the rehearsal's own command (the one its window runs)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

import gate.rollback
from gate.backup.manifest import BackupManifest
from gate.rollback.script import RollbackRun
from gate.run import Run
from rehearse.orchestrator import Rehearsal

STAGING_OFF = "ssh staging sudo ln -sf /etc/nginx/sites-available/freesport /etc/nginx/sites-enabled/"


def _rehearsal(tmp_path: Path, environ: dict[str, str]) -> Rehearsal:
    rehearsal = Rehearsal(environ=environ)
    rehearsal.work = tmp_path / "work"
    rehearsal.run = Run.open(runs_root=tmp_path / "runs", run_id="rbk")
    rehearsal.dsn = "postgresql://postgres:x@127.0.0.1:5/rehearsal"
    manage = str(rehearsal.work / "manage.sh")
    # write_env's order: the rehearsal's own values, then its REHEARSAL_<SETTING> overrides
    rehearsal.gate_env = {"MANAGE_CMD": manage, "APP_STOP_CMD": ":", "APP_START_CMD": ":",
                          **rehearsal.overrides({})}
    return rehearsal


def _rollback_runs(rehearsal: Rehearsal, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """rehearsal.rollback() with the script replaced by one that runs only MAINTENANCE_OFF_CMD; the command."""
    dump = tmp_path / "backup.dump"
    dump.write_bytes(b"")
    monkeypatch.setattr(BackupManifest, "load", classmethod(lambda cls, run_dir: BackupManifest("rbk", str(dump))))
    seen: dict[str, Any] = {}

    def script(path: Path, env: dict[str, str], **_: Any) -> RollbackRun:
        seen.update(env)
        proc = subprocess.run(["bash", "-c", env["MAINTENANCE_OFF_CMD"]], capture_output=True, text=True,
                              check=False)
        return RollbackRun(proc.returncode, proc.stdout + proc.stderr, 0.01, None)

    monkeypatch.setattr(gate.rollback, "run_rollback_script", script)
    assert rehearsal.rollback() == 0
    return str(seen["MAINTENANCE_OFF_CMD"])


def test_rollback_runs_the_rehearsal_maintenance_off_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "maintenance-off-ran"
    rehearsal = _rehearsal(tmp_path, {"MAINTENANCE_OFF_CMD": STAGING_OFF,
                                      "REHEARSAL_MAINTENANCE_OFF_CMD": f"touch {marker}"})
    assert rehearsal.gate_env["MAINTENANCE_OFF_CMD"] == f"touch {marker}"  # what the window runs
    command = _rollback_runs(rehearsal, monkeypatch, tmp_path)
    assert command == f"touch {marker}" == rehearsal.maintenance_cmd("off")
    assert marker.exists(), "the rollback did not run the rehearsal's MAINTENANCE_OFF_CMD"


def test_rollback_falls_back_to_manage_cmd_never_to_the_target_command(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    rehearsal = _rehearsal(tmp_path, {"MAINTENANCE_OFF_CMD": STAGING_OFF})
    manage = tmp_path / "work" / "manage.sh"
    manage.parent.mkdir(parents=True)
    manage.write_text(f'#!/usr/bin/env bash\necho "$@" > {tmp_path / "manage-args"}\n')
    manage.chmod(0o755)
    command = _rollback_runs(rehearsal, monkeypatch, tmp_path)
    assert command == f"{manage} maintenance_mode off" == rehearsal.maintenance_cmd("off")
    assert "staging" not in command
    assert (tmp_path / "manage-args").read_text().strip() == "maintenance_mode off"
    assert rehearsal.maintenance_cmd("on") == f"{manage} maintenance_mode on"
