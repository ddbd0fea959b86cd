"""The warm pytest server (``gate.window.pytest_server``): a session through it is a ``python -m pytest`` run.

Same exit status, its own environment (nothing of the server's), working directory and log file,
its own ``atexit`` handlers and non-daemon threads waited for; a session that dies is reported by its signal and the server serves
the next one; a session whose ``PYTHONPATH`` differs is not taken.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gate.settings import REPO
from gate.window.pytest_server import PytestServer

PY = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else sys.executable
CHECKS = '''
import atexit, os, signal, threading, time
from pathlib import Path

def test_env_and_cwd():
    assert os.environ["SESSION_MARK"] == "this-session"
    assert "SERVER_ONLY" not in os.environ
    assert Path.cwd() == Path(os.environ["SESSION_CWD"])
    print("session output")

def test_atexit():
    atexit.register(lambda: Path(os.environ["SESSION_CWD"], "atexit.txt").write_text("ran"))

def test_thread_outlives_the_test():
    def late():
        time.sleep(0.5)
        Path(os.environ["SESSION_CWD"], "thread.txt").write_text("done")
    threading.Thread(target=late).start()

def test_fails():
    assert os.environ.get("SESSION_FAIL") != "yes", "failed on purpose"

def test_dies():
    if os.environ.get("SESSION_DIE") == "yes":
        os.kill(os.getpid(), signal.SIGKILL)
'''


@pytest.fixture(scope="module")
def server() -> Iterator[PytestServer]:
    env = {**os.environ, "SERVER_ONLY": "yes", "PYTHONPATH": str(REPO)}
    srv = PytestServer.start(PY, env, REPO)
    yield srv
    srv.close()
    assert srv.proc.returncode is not None


def _session_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SERVER_ONLY"}
    return {**env, "PYTHONPATH": str(REPO), "SESSION_MARK": "this-session", "SESSION_CWD": str(tmp_path), **extra}


def _args(tmp_path: Path) -> list[str]:
    (tmp_path / "test_session.py").write_text(CHECKS)
    return ["-p", "no:cacheprovider", "-q", str(tmp_path / "test_session.py")]


def test_a_session_is_what_python_m_pytest_would_be(server, tmp_path):
    log = tmp_path / "session.log"
    code = server.session([*_args(tmp_path), "-s"], _session_env(tmp_path), tmp_path, log)
    assert (tmp_path / "thread.txt").read_text() == "done"  # its non-daemon threads were waited for
    plain = subprocess.run([PY, "-m", "pytest", *_args(tmp_path), "-s"], cwd=tmp_path,
                           env=_session_env(tmp_path), capture_output=True, text=True)
    assert code == plain.returncode == 0, log.read_text()
    assert "session output" in log.read_text() and "5 passed" in log.read_text()
    assert (tmp_path / "atexit.txt").read_text() == "ran"  # the session's atexit handlers ran at its end


def test_a_failing_session_exits_like_pytest_and_the_server_goes_on(server, tmp_path):
    log = tmp_path / "failed.log"
    assert server.session(_args(tmp_path), _session_env(tmp_path, SESSION_FAIL="yes"), tmp_path, log) == 1
    assert "failed on purpose" in log.read_text()
    died = server.session(_args(tmp_path), _session_env(tmp_path, SESSION_DIE="yes"), tmp_path, tmp_path / "d.log")
    assert died == -9  # killed by SIGKILL, as subprocess would say
    assert server.session(_args(tmp_path), _session_env(tmp_path), tmp_path, tmp_path / "again.log") == 0


def test_a_session_with_another_module_path_is_not_taken(server, tmp_path):
    assert server.serves(_session_env(tmp_path))
    assert not server.serves({**_session_env(tmp_path), "PYTHONPATH": str(tmp_path)})


def test_a_server_that_is_gone_raises_connection_error_before_the_session(tmp_path):
    srv = PytestServer.start(PY, {**os.environ, "PYTHONPATH": str(REPO)}, REPO)
    srv.proc.kill()
    srv.proc.wait()
    assert not srv.serves(_session_env(tmp_path))
    with pytest.raises(ConnectionError):
        srv.session(_args(tmp_path), _session_env(tmp_path), tmp_path, tmp_path / "never.log")
    srv.close()


def test_a_gate_session_through_the_server_imports_its_plugins_as_pytest_would(server, tmp_path):
    """The warm-up imports the gate's plugin through pytest's assertion rewriting: no session warns
    'Module already imported so cannot be rewritten' (asserts in gate.fixtures keep their messages)."""
    log = tmp_path / "gate.log"
    env = {**_session_env(tmp_path), "RUN_DIR": str(tmp_path / "run")}
    code = server.session(["-p", "no:cacheprovider", "--co", "-q", "tests/preflight", "tests/window",
                           "tests/postflight"], env, REPO, log)
    text = log.read_text()
    assert code == 0, text
    assert "PST-01" in text and "cannot be rewritten" not in text and "warning" not in text.lower()


MARKED = '''
import os
from pathlib import Path

def test_marks():
    Path(os.environ["SESSION_CWD"], "ran.txt").write_text("ran")
    print("marked")
'''


def _marked(tmp_path: Path) -> list[str]:
    (tmp_path / "test_marked.py").write_text(MARKED)
    return ["-p", "no:cacheprovider", "-q", str(tmp_path / "test_marked.py")]


def test_a_prepared_session_waits_before_its_first_check_ignores_ctrl_c_and_runs_when_asked(server, tmp_path):
    """Prepared while a step runs: configured and collected, no check run, Ctrl-C ignored; let go, it is the session."""
    import signal
    import time

    log = tmp_path / "prepared.log"
    server.prepare(_marked(tmp_path), _session_env(tmp_path), tmp_path, log)
    time.sleep(1.0)
    os.kill(server.prepared_pid, signal.SIGINT)  # a Ctrl-C meant for the step
    time.sleep(0.5)
    assert not (tmp_path / "ran.txt").exists() and not log.exists(), "nothing ran, no log yet"
    assert (tmp_path / "prepared.log.prepared").exists()
    assert server.session(_marked(tmp_path), _session_env(tmp_path), tmp_path, log) == 0, log.read_text()
    assert (tmp_path / "ran.txt").read_text() == "ran" and "1 passed" in log.read_text()
    assert not (tmp_path / "prepared.log.prepared").exists()


def test_a_prepared_session_not_let_go_runs_nothing_and_leaves_nothing(server, tmp_path):
    """Cancelled (the step failed), or another session asked instead: nothing ran, no log; the server goes on."""
    log = tmp_path / "cancelled.log"
    server.prepare(_marked(tmp_path), _session_env(tmp_path), tmp_path, log)
    server.cancel()
    server.prepare(_marked(tmp_path), _session_env(tmp_path), tmp_path, log)
    other = tmp_path / "other.log"
    assert server.session(_args(tmp_path), _session_env(tmp_path), tmp_path, other) == 0, other.read_text()
    assert not (tmp_path / "ran.txt").exists() and not log.exists()
    assert not list(tmp_path.glob("*.prepared"))
    assert server.session(_marked(tmp_path), _session_env(tmp_path), tmp_path, log) == 0
    assert (tmp_path / "ran.txt").exists()
