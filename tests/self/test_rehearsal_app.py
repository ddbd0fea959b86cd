"""The rehearsal's application control reports a crashed app at once, with its stderr and command."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rehearse.child import crash_reason, free_port, pid_alive, wait_http
from rehearse.orchestrator import Rehearsal, RehearsalError

REPO = Path(__file__).resolve().parents[2]
MISSING = "overlay_settings_wsgi:application"


def _state(tmp_path: Path) -> Path:
    """An app state directory whose WSGI module does not exist in its (empty) BACKEND_DIR."""
    backend = tmp_path / "code"
    backend.mkdir()
    port = free_port()
    state = tmp_path / "state"
    state.mkdir()
    (state / "app.env").write_text(
        f"BACKEND_DIR={backend}\nWSGI_APP={MISSING}\nGUNICORN_BIND=127.0.0.1:{port}\n"
        f"APP_HEALTH_URL=http://127.0.0.1:{port}/health/\nLOG_DIR={tmp_path / 'log'}\n")
    return state


def test_a_zombie_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while pid_alive(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(child.pid), "an exited child that nobody reaped yet was counted alive"
    child.wait()


def test_crash_reason_is_the_last_exception_line() -> None:
    log = ("Traceback (most recent call last):\n  File \"x.py\", line 1\nModuleNotFoundError: No module named 'x'\n"
           "[INFO] Worker exiting (pid: 9)\n[ERROR] Reason: Worker failed to boot.\n")
    assert crash_reason(log) == "ModuleNotFoundError: No module named 'x'"
    assert crash_reason("[INFO] Booting worker\n") == ""


def test_an_app_that_crashes_at_start_is_reported_at_once_with_its_stderr(tmp_path: Path) -> None:
    state = _state(tmp_path)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "rehearse.app", "start", "--state", str(state)], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120,
                          check=False)
    took = time.monotonic() - started
    assert proc.returncode == 1
    assert took < 15, f"a crash at start took {took:.0f}s to be reported (the health wait is 60 s)"
    headline = proc.stderr.splitlines()[0]
    assert "gunicorn exited with" in headline and "exited with ?" not in headline, headline
    assert "ModuleNotFoundError: No module named 'overlay_settings_wsgi'" in headline, proc.stderr
    assert "-m gunicorn --bind 127.0.0.1:" in headline and MISSING in headline, headline
    assert not (state / "gunicorn.pid").exists()


def test_the_rehearsal_names_the_crash_and_the_command(tmp_path: Path) -> None:
    """Rehearsal.app('start') (the window's and the rollback's APP_START_CMD) keeps the headline whole."""
    state = _state(tmp_path)
    rehearsal = Rehearsal(environ=dict(os.environ))
    rehearsal.work = tmp_path
    rehearsal.gate_env = {"APP_START_CMD": f"{shlex.quote(sys.executable)} -m rehearse.app start "
                                           f"--state {shlex.quote(str(state))}"}
    started = time.monotonic()
    with pytest.raises(RehearsalError) as raised:
        rehearsal.app("start")
    assert time.monotonic() - started < 15
    message = str(raised.value)
    assert "ModuleNotFoundError" in message and MISSING in message and "-m gunicorn" in message, message
    assert "rehearse.app start" in message  # the APP_START_CMD that ran


def test_wait_http_names_the_crash_and_the_command(tmp_path: Path) -> None:
    """rehearse.child.wait_http (make local-target, the window's throw-away target) fails at once too."""
    log = tmp_path / "gunicorn.stderr"
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", MISSING]
    with log.open("w") as err:
        proc = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err)
    started = time.monotonic()
    with pytest.raises(RuntimeError) as raised:
        wait_http(f"http://127.0.0.1:{port}/health/", proc, timeout=60, log=log)
    assert time.monotonic() - started < 15
    message = str(raised.value)
    assert "ModuleNotFoundError: No module named 'overlay_settings_wsgi'" in message.splitlines()[0], message
    assert shlex.join(argv) in message


def test_stop_after_waits_for_the_file_then_stops(tmp_path: Path) -> None:
    """``rehearse.app stop --after FILE`` (the rollback's stop in a rehearsal) waits for FILE, then stops."""
    import threading

    from rehearse import app

    marker = tmp_path / "reverse-trial-copied"
    threading.Timer(0.6, marker.touch).start()
    t0 = time.monotonic()
    assert app.main(["stop", "--state", str(tmp_path), "--after", str(marker)]) == 0
    assert time.monotonic() - t0 >= 0.5


def test_stop_after_a_file_that_never_comes_stops_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A copy that never finishes: exit 1 and the reason, the application left alone."""
    from rehearse import app

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        (tmp_path / app.PID_FILE).write_text(str(sleeper.pid))
        assert app.stop(tmp_path, after=tmp_path / "never", after_timeout_s=0.3) == 1
        assert "did not appear" in capsys.readouterr().err
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()
