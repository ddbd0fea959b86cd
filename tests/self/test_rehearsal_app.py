"""The rehearsal's application control reports a crashed app at once, with its stderr and command."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from gate.bundled import free_port, pid_alive

REPO = Path(__file__).resolve().parents[2]


def test_a_zombie_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while pid_alive(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(child.pid), "an exited child that nobody reaped yet was counted alive"
    child.wait()


def test_an_app_that_crashes_at_start_is_reported_at_once_with_its_stderr(tmp_path: Path) -> None:
    backend = tmp_path / "code"
    backend.mkdir()
    port = free_port()
    state = tmp_path / "state"
    state.mkdir()
    (state / "app.env").write_text(
        f"BACKEND_DIR={backend}\nWSGI_APP=overlay_settings_wsgi:application\nGUNICORN_BIND=127.0.0.1:{port}\n"
        f"APP_HEALTH_URL=http://127.0.0.1:{port}/health/\nLOG_DIR={tmp_path / 'log'}\n")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "gate.rehearsal.app", "start", "--state", str(state)], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120,
                          check=False)
    took = time.monotonic() - started
    assert proc.returncode == 1
    assert took < 30, f"a crash at start took {took:.0f}s to be reported (the health wait is 60 s)"
    assert "gunicorn exited with" in proc.stderr and "overlay_settings_wsgi:application" in proc.stderr
    assert "ModuleNotFoundError" in proc.stderr or "No module named" in proc.stderr, proc.stderr
    assert not (state / "gunicorn.pid").exists()
