"""The bundled reference backend as the gate drives it: ``manage.py`` in a child process.

``make local-target`` (rehearse/local_target.py) and the window's throw-away target
(rehearse/scratch.py) build the same v13.3 FreeSport; the pieces they share live here. The
gate never imports the backend: it runs its ``manage.py``, talks HTTP and reads the database.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import requests

REPO = Path(__file__).resolve().parent.parent
BACKEND = REPO / "backend"
SAMPLE_DIR = BACKEND / "sample_data" / "commerceml"
PYTHON = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else sys.executable
COPY_URL_VAR = "GATE_COPY_DATABASE_URL"
"""The bundled ``manage.sh`` wrappers source their env file (which sets ``DATABASE_URL``), then take this
variable over it when set: how MIG-05's trial hands them a copy (``TRIAL_DB_ENV``, gate/db/handoff.py)."""
TRIAL_DB_ENV = f"{COPY_URL_VAR}={{url}}"
COPY_URL_OVERRIDE = f'if [[ -n "${{{COPY_URL_VAR}:-}}" ]]; then export DATABASE_URL="${COPY_URL_VAR}"; fi\n'
"""The wrapper's line that honours ``GATE_COPY_DATABASE_URL``."""


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``manage.py`` of the bundled backend in a child process (the gate never imports it)."""
    proc = subprocess.run([PYTHON, "manage.py", *args], cwd=BACKEND, env=env, text=True, capture_output=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} exit {proc.returncode}: {proc.stderr.strip()[-1500:]}")
    return proc


def migrate_to_v13_3(env: dict[str, str]) -> list[str]:
    """Every app migrated, ``products`` pinned at ``0001_initial`` (the v13.3 schema); returns the apps."""
    manage(env, "migrate", "products", "0001_initial", "--noinput")
    listing = manage(env, "showmigrations", "--list").stdout
    apps = [line.strip() for line in listing.splitlines() if line and not line.startswith(" ")]
    for app in apps:
        if app != "products":
            manage(env, "migrate", app, "--noinput")
    manage(env, "migrate", "products", "0001_initial", "--noinput")
    return apps


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0, log: Path | None = None) -> None:
    """Wait until ``url`` answers 200 (fail early when gunicorn exits)."""
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


def env_lines(values: dict[str, str]) -> str:
    """``KEY=value`` lines, shell-quoted when needed."""
    return "".join(f"{k}={shlex.quote(v)}\n" for k, v in values.items())


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds passwords)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def pid_alive(pid: int | None) -> bool:
    """A process with this pid exists and is not a zombie (a dead child nobody reaped yet is dead)."""
    if not pid:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


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
