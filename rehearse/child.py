"""The children the rehearsal starts and the files it hands them: a free port, whether a child lives, its
HTTP coming up, why it crashed, the end of its log, a child run in its own group that an interrupt
reaches once, and private ``KEY=value`` env files.

``free_port`` and ``pid_alive`` are :mod:`disposable_pg.local`'s (the one definition; ``rehearse``
may import ``disposable_pg``, never the other way round).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from disposable_pg.local import free_port, pid_alive


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0, log: Path | None = None) -> None:
    """Wait until ``url`` answers 200 (fail early when gunicorn exits)."""
    import requests  # here, not at the top: rehearse.app (started by every APP_*_CMD) imports this module

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            argv = proc.args if isinstance(proc.args, list) else [str(proc.args)]
            tail = log_tail(log, 25)
            reason = crash_reason(tail)
            raise RuntimeError(f"gunicorn exited with {proc.returncode} at start"
                               + (f" ({reason})" if reason else "") + f": {shlex.join(map(str, argv))}"
                               + (f"; the end of {log}:\n{tail}" if tail else ""))
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f}s")


def stop_group(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Stop a child started in its own session: SIGTERM to its group, then SIGKILL after ``timeout`` s."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout)
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def run_in_group(argv: list[str], grace: float = 60.0, **popen: Any) -> int:
    """Run ``argv`` in its own session and wait for its exit status.

    Ctrl-C or SIGTERM here (a ``KeyboardInterrupt``, :mod:`disposable_pg.interrupt`) reaches the
    child's whole group as Ctrl-C, once; the child gets ``grace`` s for its own clean-up, then its
    group is killed, and the interrupt goes on.
    """
    proc: subprocess.Popen[bytes] = subprocess.Popen(argv, start_new_session=True, **popen)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        with signals_held():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace)
            stop_group(proc, timeout=5)
        raise


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Ignore Ctrl-C and SIGTERM while a clean-up runs (a second one would leave it half done; main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in held.items():
            signal.signal(sig, handler)


def env_lines(values: dict[str, str]) -> str:
    """``KEY=value`` lines, shell-quoted when needed.

    >>> env_lines({"A": "1", "B": "two words"})
    "A=1\\nB='two words'\\n"
    """
    return "".join(f"{k}={shlex.quote(v)}\n" for k, v in values.items())


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds passwords)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit)\b.*$", re.MULTILINE)


def crash_reason(output: str) -> str:
    """The last exception line of a traceback in ``output`` (``ModuleNotFoundError: No module named 'x'``), else ''."""
    found = EXCEPTION_LINE.findall(output)
    return found[-1].strip() if found else ""


def log_tail(path: Path | None, lines: int = 15, offset: int = 0) -> str:
    """The last ``lines`` lines of a log file written after byte ``offset`` ('' when there is none)."""
    if path is None:
        return ""
    with contextlib.suppress(OSError), path.open("rb") as fh:
        fh.seek(offset)
        return "\n".join(fh.read().decode("utf-8", errors="replace").splitlines()[-lines:])
    return ""


__all__ = ["crash_reason", "env_lines", "free_port", "log_tail", "pid_alive", "run_in_group", "signals_held",
           "stop_group", "wait_http", "write_private"]
