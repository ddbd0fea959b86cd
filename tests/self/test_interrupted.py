"""INTERRUPTED from the run's own records: a started step without end, a dead window process, a live one."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from gate.run import Run, StepRecord
from gate.window.interrupted import INTERRUPTED, WINDOW_PROCESS, effective_summary, interruption, mark_ended


def _run(tmp_path: Path, steps: list[tuple[str, int | None]], pid: int | None, ended: bool = False) -> Run:
    run = Run.open(tmp_path / "run")
    for name, code in steps:
        run.record_step(StepRecord(name, exit_code=code, duration_s=None if code is None else 1.0))
    if pid is not None:
        (run.dir / WINDOW_PROCESS).write_text(json.dumps(
            {"pid": pid, "host": socket.gethostname(), "started_at": "2026-12-04T02:00:00+00:00",
             "ended_at": "2026-12-04T03:00:00+00:00" if ended else None}))
    run.summary_path.write_text(json.dumps({"run_id": run.run_id, "verdict": "GO", "checks": [],
                                            "decision": {"verdict": "GO", "exit_code": 0}}))
    (run.dir / "backup.json").write_text(json.dumps({"path": "/backups/backup_pre_migration_x.dump"}))
    return run


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_killed_during_the_import_reads_interrupted_with_resume_and_rollback(tmp_path: Path) -> None:
    run = _run(tmp_path, [("backup", None), ("backup", 0), ("migrate", None), ("migrate", 0), ("import", None)],
               _dead_pid())
    summary = effective_summary(run)
    assert summary["verdict"] == INTERRUPTED and summary["decision"]["exit_code"] == 50
    row = summary["decision"]["matrix_row"]
    assert f"CONFIRM=yes make migrate FROM=import RUN_DIR={run.dir}" in row
    assert "rollback_production.sh --confirm /backups/backup_pre_migration_x.dump" in row
    assert summary["interrupted"]["verdict_of_checks_so_far"] == "GO"
    assert json.loads(run.summary_path.read_text())["verdict"] == INTERRUPTED  # the record on disk tells the truth


def test_killed_between_steps_resumes_at_the_first_step_not_done(tmp_path: Path) -> None:
    run = _run(tmp_path, [("backup", None), ("backup", 0)], _dead_pid())
    found = interruption(run)
    assert found is not None and found.resume_step == "maintenance_on" and not found.destructive_started


def test_flush_dry_run_resumes_the_flush(tmp_path: Path) -> None:
    run = _run(tmp_path, [("migrate", 0), ("flush_dry_run", None)], _dead_pid())
    found = interruption(run)
    assert found is not None and found.resume_step == "flush" and found.destructive_started


def test_a_running_window_and_a_finished_one_are_not_interrupted(tmp_path: Path) -> None:
    running = _run(tmp_path / "a", [("import", None)], os.getpid())
    assert interruption(running) is None and effective_summary(running)["verdict"] == "GO"
    finished = _run(tmp_path / "b", [("import", None), ("import", 0)], os.getpid())
    mark_ended(finished, verdict="GO")
    assert interruption(finished) is None
