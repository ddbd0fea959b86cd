"""One window per target, and INTERRUPTED is a state (issue 14, items 1, 3 and 4).

Two real windows (``python -m gate.window``, separate processes and RUN_DIRs) on one real
PostgreSQL database: the second refuses with exit 3 naming the first run and since when. The
first is then killed with ``kill -9`` mid-step: its record reads INTERRUPTED (summary, console,
window-status with the exact resume command), the lock is free (the server dropped it with the
connection: nothing stale), yet a new window still refuses until the interrupted one is closed
on purpose (who and why recorded).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from gate.db.window_lock import RECORD_SETTING, WindowBusy, WindowLock, holder

REPO = Path(__file__).resolve().parents[2]


def _window(env: dict[str, str], run_dir: Path, *args: str, wait: bool = True,
            extra: dict[str, str] | None = None) -> subprocess.Popen[str] | subprocess.CompletedProcess[str]:
    full = {**{k: v for k, v in os.environ.items() if k not in ("RUN_DIR", "RUN_ID")}, **env,
            "RUN_DIR": str(run_dir), "GATE_LIVE": "0", "PYTHONPATH": str(REPO), **(extra or {})}
    argv = [sys.executable, "-m", "gate.window", *args]
    if wait:
        return subprocess.run(argv, cwd=REPO, env=full, capture_output=True, text=True, timeout=300, check=False)
    return subprocess.Popen(argv, cwd=REPO, env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def _journal_has_start(run_dir: Path, name: str) -> bool:
    path = run_dir / "journal.jsonl"
    return path.exists() and any(json.loads(x).get("name") == name and json.loads(x).get("event") == "start"
                                 for x in path.read_text().splitlines() if x.strip())


def test_lock_is_exclusive_names_its_holder_and_dies_with_its_session(gate_db) -> None:
    first = WindowLock.acquire(gate_db.dsn, "run-first")
    try:
        with pytest.raises(WindowBusy, match=r"run run-first \(.+\) since 20\d\d-"):
            WindowLock.acquire(gate_db.dsn, "run-second")
        with psycopg.connect(gate_db.dsn) as conn:
            assert holder(conn) is not None
    finally:
        first.release()
    second = WindowLock.acquire(gate_db.dsn, "run-second")
    second.release()


def test_two_windows_then_a_kill_then_interrupted_everywhere_then_close(gate_env, gate_db, tmp_path: Path) -> None:
    run_a, run_b = tmp_path / "run-a", tmp_path / "run-b"
    # window A: a hand-run phase whose maintenance command hangs (a real window, a real lock)
    first = _window(gate_env, run_a, "step", "maintenance_on", wait=False,
                    extra={"MAINTENANCE_ON_CMD": "sleep 60"})
    assert isinstance(first, subprocess.Popen)
    try:
        _wait_for(lambda: _journal_has_start(run_a, "maintenance_on") or first.poll() is not None)
        assert first.poll() is None, first.stdout.read() if first.stdout else ""
        # window B, another RUN_DIR, same database: refused, naming A and since when
        second = _window(gate_env, run_b, "migrate", "--confirm")
        assert second.returncode == 3, second.stdout + second.stderr
        assert "another window holds this target" in second.stdout
        assert "run-a" in second.stdout and " since 20" in second.stdout
        assert not (run_b / "journal.jsonl").exists()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)  # kill -9 of the window (and its step), mid-step
        first.wait(timeout=30)
    summary_before = json.loads((run_a / "summary.json").read_text()) if (run_a / "summary.json").exists() else {}
    assert summary_before.get("verdict") != "INTERRUPTED"  # the file alone still says what the checks said

    status = _window(gate_env, run_a, "status")
    assert "INTERRUPTED" in status.stdout
    assert f"make migrate FROM=maintenance_on RUN_DIR={run_a}" in status.stdout.replace("\n", "")
    console = subprocess.run([sys.executable, "-m", "gate.console", str(run_a)], cwd=REPO, capture_output=True,
                             text=True, check=False, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert console.returncode == 50 and "INTERRUPTED" in console.stdout and "GO exit 0" not in console.stdout
    assert json.loads((run_a / "summary.json").read_text())["verdict"] == "INTERRUPTED"
    from gate.report.run_view import load_run
    from gate.report.signoff import render_html

    page = render_html(load_run(run_a))
    assert 'data-verdict="INTERRUPTED"' in page and "FROM=maintenance_on" in page

    # the lock died with A's session; the record did not: B still refuses, and says what to run
    with psycopg.connect(gate_db.dsn) as conn:
        assert holder(conn) is None
    again = _window(gate_env, run_b, "migrate", "--confirm")
    assert again.returncode == 3, again.stdout + again.stderr
    assert "did not end" in again.stdout and "FROM=maintenance_on" in again.stdout.replace("\n", "")

    closed = _window(gate_env, run_a, "close", "--reason", "tester: maintenance_on hung, closed by hand")
    assert closed.returncode == 0, closed.stdout + closed.stderr
    summary = json.loads((run_a / "summary.json").read_text())
    assert summary["verdict"] == "INTERRUPTED" and "closed by hand" in summary["closed"]["reason"]
    with psycopg.connect(gate_db.dsn) as conn:
        row = conn.execute("SELECT count(*) FROM pg_db_role_setting s, unnest(s.setconfig) c "
                           "WHERE c LIKE %s", (RECORD_SETTING + "=%",)).fetchone()
        assert row is not None and row[0] == 0
    freed = _window(gate_env, run_b, "migrate", "--confirm")
    assert freed.returncode != 3, freed.stdout + freed.stderr
    assert "refused" not in freed.stdout


def test_no_go_after_maintenance_on_turns_it_off_again(gate_env, tmp_path: Path) -> None:
    """MNT-01 fails (BASE_URL unreachable): NO-GO, and the site is not left in maintenance silently."""
    flag = tmp_path / "maintenance.flag"
    result = _window(gate_env, tmp_path / "run", "step", "maintenance_on",
                     extra={"MAINTENANCE_ON_CMD": f"touch {flag}", "MAINTENANCE_OFF_CMD": f"rm -f {flag}",
                            "BASE_URL": "http://127.0.0.1:9"})
    assert result.returncode == 10, result.stdout + result.stderr
    assert not flag.exists(), "maintenance was left on after a NO-GO"
    journal = (tmp_path / "run" / "journal.jsonl").read_text()
    assert "maintenance turned off again" in journal
    assert "site_in_maintenance" not in json.loads((tmp_path / "run" / "summary.json").read_text())


def test_no_go_after_a_deploy_says_in_red_that_the_site_is_in_maintenance(gate_env, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    from gate.run import Run, StepRecord

    run = Run.open(run_dir)
    for name in ("maintenance_on", "deploy"):
        run.record_step(StepRecord(name, exit_code=0, duration_s=0.1))
    from gate.settings import load_settings
    from gate.window.window_claim import no_site_left_down

    settings = load_settings({**gate_env, "DEPLOY_CMD": "true"})
    message = no_site_left_down(object(), run, settings)
    assert message and "503" in message and "make maintenance-off" in message and "redeploy v13.3" in message
    assert json.loads((run_dir / "summary.json").read_text())["site_in_maintenance"] == message
    import io

    from gate.console import render_summary

    buffer = io.StringIO()
    render_summary({**json.loads((run_dir / "summary.json").read_text()), "verdict": "NO-GO"}, buffer)
    assert "THE SITE IS IN MAINTENANCE" in buffer.getvalue()
    by_commit = load_settings({**gate_env, "DEPLOY_CMD": "true", "RELEASE_COMMIT": "3f2c9e1a7b4d",
                               "PREVIOUS_RELEASE_COMMIT": "9a8b7c6d5e4f"})
    said = no_site_left_down(object(), run, by_commit)  # releases named by commit: the commit to go back to
    assert said and "release 3f2c9e1a7b4d was deployed" in said and "redeploy 9a8b7c6d5e4f" in said
