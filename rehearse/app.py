"""The rehearsal's application control: ``APP_START_CMD`` / ``APP_STOP_CMD`` for the served backend.

The rollback script stops and starts "the application" through commands, as it would with
supervisor on a server; in a rehearsal these commands are this module, which runs gunicorn
for ``BACKEND_DIR`` from an env file (mode 0600, outside the run directory) and keeps its pid.
Both are idempotent: starting a running app or stopping a stopped one does nothing.

    python -m rehearse.app start --state DIR     # waits until /health/ answers 200
    python -m rehearse.app stop --state DIR [--after FILE]   # --after: first wait until FILE exists
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from gate.envfile import read_env_file
from rehearse.child import crash_reason, log_tail, pid_alive

ENV_FILE = "app.env"
PID_FILE = "gunicorn.pid"


def _pid(state: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        pid = int((state / PID_FILE).read_text().strip())
        return pid if pid_alive(pid) else None
    return None


def app_env(state: Path) -> dict[str, str]:
    """The app's environment: the code's own (``CODE_ENV_FILE``, rehearse/code.py), then ``state/app.env``.

    Without ``CODE_ENV_FILE`` (an app env written by hand): this process's environment under ``app.env``.
    """
    app = {k: v for k, (v, _) in read_env_file(state / ENV_FILE).items()}
    if app.get("CODE_ENV_FILE"):
        from rehearse.code import launch_env

        return {**launch_env(os.environ, Path(app["CODE_ENV_FILE"])), **app}
    return {**os.environ, **app}


def start(state: Path, timeout_s: float = 60.0) -> int:
    """Start gunicorn for the backend (unless running) and wait for its health endpoint."""
    import requests  # only ``start`` asks over HTTP: ``stop`` and ``checkout`` start without it (the rollback runs all three)

    env = app_env(state)
    health = env["APP_HEALTH_URL"]
    proc: subprocess.Popen[bytes] | None = None
    log = Path(env.get("LOG_DIR") or state) / "gunicorn.stderr"
    argv: list[str] = []
    start_offset = 0
    if _pid(state) is None:
        backend = Path(env["BACKEND_DIR"])
        conf = backend / "gunicorn.conf.py"
        argv = [env.get("BACKEND_PYTHON") or sys.executable, "-m", "gunicorn"]
        argv += (["-c", str(conf)] if conf.exists() else []) + ["--bind", env["GUNICORN_BIND"], env["WSGI_APP"]]
        log.parent.mkdir(parents=True, exist_ok=True)
        start_offset = log.stat().st_size if log.exists() else 0
        with log.open("a") as err:
            proc = subprocess.Popen(argv, cwd=backend, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=err, start_new_session=True)
        (state / PID_FILE).write_text(str(proc.pid))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        code = proc.poll() if proc is not None else None  # our child: reaped here, never a live-looking zombie
        pid = _pid(state)
        if pid is None or code is not None:
            (state / PID_FILE).unlink(missing_ok=True)
            if code is None and proc is not None:
                code = proc.poll()
            tail = log_tail(log, 25, start_offset)
            reason = crash_reason(tail)
            sys.stderr.write(f"app: gunicorn exited with {'?' if code is None else code} at start"
                             + (f" ({reason})" if reason else "")
                             + f": {shlex.join(argv) or 'the running app'} (cwd {env['BACKEND_DIR']})"
                             + f"\n--- the end of {log} ---\n{tail}\n")
            return 1
        with contextlib.suppress(requests.RequestException):
            if requests.get(health, timeout=2).status_code == 200:
                sys.stdout.write(f"app: serving (pid {pid})" + "\n")
                return 0
        time.sleep(0.2)
    sys.stderr.write(f"app: {health} did not answer 200 within {timeout_s:.0f}s\n")
    return 1


def wait_for(path: Path, timeout_s: float = 600.0) -> bool:
    """Wait until ``path`` exists (``stop --after``); False when it did not appear within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def stop(state: Path, timeout_s: float = 20.0, after: Path | None = None, after_timeout_s: float = 600.0) -> int:
    """Stop gunicorn (SIGTERM to its process group, SIGKILL after ``timeout_s``).

    ``after``: first wait until that file exists (the rehearsal's rollback waits so for the reverse
    trial's copy of the migrated database, made while the rollback script verifies its backup).
    """
    if after is not None:
        t0 = time.monotonic()
        if not wait_for(after, after_timeout_s):
            sys.stderr.write(f"app: {after} did not appear: not stopping (the reverse trial's copy never finished)\n")
            return 1
        sys.stdout.write(f"app: {after.name} there after {time.monotonic() - t0:.1f}s" + "\n")
    pid = _pid(state)
    if pid is None:
        sys.stdout.write("app: not running" + "\n")
        return 0
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while pid_alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    (state / PID_FILE).unlink(missing_ok=True)
    sys.stdout.write(f"app: stopped (pid {pid})" + "\n")
    return 0


def checkout(state: Path, backend_dir: Path) -> int:
    """The rehearsal's ``CHECKOUT_CMD``: the app's next start serves the code in ``backend_dir``.

    A fault rehearsal's release is an altered copy of the backend; the previous release is the
    unaltered code, so the rollback's checkout points the app back at it.
    """
    if not (backend_dir / "manage.py").exists():
        sys.stderr.write(f"checkout: no manage.py in {backend_dir}\n")
        return 1
    path = state / ENV_FILE
    lines = [line for line in path.read_text().splitlines() if not line.startswith("BACKEND_DIR=")]
    lines.append(f"BACKEND_DIR={shlex.quote(str(backend_dir))}")
    path.write_text("\n".join(lines) + "\n")
    sys.stdout.write(f"checkout: the application will serve {backend_dir}" + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``start`` | ``stop`` | ``restart`` | ``checkout`` with ``--state DIR``."""
    parser = argparse.ArgumentParser(prog="python -m rehearse.app")
    parser.add_argument("action", choices=("start", "stop", "restart", "checkout"))
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--backend-dir", type=Path, help="checkout: the previous release's code")
    parser.add_argument("--after", type=Path, help="stop: first wait until this file exists")
    args = parser.parse_args(argv)
    if args.action == "checkout":
        if args.backend_dir is None:
            parser.error("checkout needs --backend-dir")
        return checkout(args.state, args.backend_dir)
    if args.action == "stop":
        return stop(args.state, after=args.after)
    if args.action == "restart":
        stop(args.state)
    return start(args.state)


if __name__ == "__main__":
    sys.exit(main())
