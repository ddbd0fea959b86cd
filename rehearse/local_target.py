"""A local FreeSport to point the gate at: ``make local-target`` / ``make local-target-down``.

``up`` starts a small daemon (``serve``) in its own session so it outlives ``make``: it starts
a disposable PostgreSQL, migrates the bundled backend to v13.3 (every app migrated, products
pinned at ``0001_initial``), seeds it with ``seed_legacy_catalog`` when that command exists,
serves it with gunicorn and writes the gate's settings to ``var/local.env`` (mode 0600).
Starting it twice is harmless (the second ``up`` reports the running one); ``down`` stops the
daemon, which stops gunicorn and PostgreSQL, then removes ``var/local-target/`` and
``var/local.env``. The gate talks to the backend only through ``manage.py`` in a child
process, HTTP and the database, never by importing it.

>>> python -m rehearse.local_target up | down | status      # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rehearse.backend import (
    PYTHON,
    REPO,
    SAMPLE_DIR,
    Sample,
    backend_env,
    gate_env,
    manage,
    manage_script,
    migrate_to_v13_3,
    sample_parameters,
    start_gunicorn,
)
from rehearse.child import env_lines, free_port, pid_alive, stop_group, wait_http, write_private

STATE_DIR = Path(os.environ.get("LOCAL_TARGET_DIR") or REPO / "var" / "local-target")
STATE = STATE_DIR / "state.json"
LOCAL_ENV = Path(os.environ.get("LOCAL_TARGET_ENV_FILE") or REPO / "var" / "local.env")
MARKER = "# written by `make local-target` (rehearse/local_target.py); `make local-target-down` removes it"


def seed_size(environ: dict[str, str] | None = None) -> Sample:
    """``LOCAL_SEED_PRODUCTS``, ``LOCAL_SEED_VARIANTS``, ``LOCAL_SEED``; each defaults to the committed
    CommerceML sample's (backend/sample_data/README.md), so the seeded v13.3 catalog and the 1C package
    the window imports hold the same 1C ids."""
    env = os.environ if environ is None else environ
    committed = sample_parameters()
    return Sample(int(env.get("LOCAL_SEED_PRODUCTS") or committed.products),
                  int(env.get("LOCAL_SEED_VARIANTS") or committed.variants_per_product),
                  int(env.get("LOCAL_SEED") or committed.seed))


def say(line: str) -> None:
    """One line to stdout, flushed (make shows progress as it happens)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def read_state() -> dict[str, Any]:
    """The daemon's state file (empty when none)."""
    try:
        data: dict[str, Any] = json.loads(STATE.read_text())
    except (OSError, ValueError):
        return {}
    return data


def write_state(**values: Any) -> None:
    """Merge ``values`` into the state file."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    data = {**read_state(), **values}
    tmp = STATE.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, STATE)


# -- the daemon -----------------------------------------------------------------------
def seed(env: dict[str, str]) -> str:
    """``seed_legacy_catalog`` when the backend has it (same N/seed as the committed 1C sample)."""
    if manage(env, "help", "seed_legacy_catalog", check=False).returncode != 0:
        return "not seeded: seed_legacy_catalog does not exist yet (importer issue)"
    args = seed_size(env).options()
    manage(env, "seed_legacy_catalog", *args)
    return f"seeded: seed_legacy_catalog {' '.join(args)}"


def serve() -> int:
    """The daemon: PostgreSQL + v13.3 + seed + gunicorn, until SIGTERM."""
    from disposable_pg import disposable_postgres

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    write_state(status="starting", daemon_pid=os.getpid(), started_at=time.time())
    gunicorn: subprocess.Popen[bytes] | None = None
    pg = disposable_postgres(os.environ.get("DISPOSABLE_PG") or "auto")
    try:
        pg.start()
        say(f"PostgreSQL ({pg.backend}) on {pg.host}:{pg.port}")
        dsn = pg.create_database("freesport")
        log_dir = STATE_DIR / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        own = backend_env(dsn, log_dir, SAMPLE_DIR, secrets.token_urlsafe(16))
        env = {**os.environ, **own}
        write_private(STATE_DIR / "backend.env", env_lines(own))
        manage_sh = manage_script(STATE_DIR / "manage.sh", env_file=STATE_DIR / "backend.env",
                                  comment="manage.py of the local target with its environment")
        apps = migrate_to_v13_3(env)
        say(f"migrated to v13.3 ({', '.join(apps)}; products at 0001_initial)")
        seeded = seed(env)
        say(seeded)
        port = int(os.environ.get("LOCAL_TARGET_PORT") or free_port())
        gunicorn = start_gunicorn(env, port, 2, log_dir)
        base_url = f"http://127.0.0.1:{port}"
        wait_http(f"{base_url}/api/health/", gunicorn, log=STATE_DIR / "log")
        say(f"gunicorn on {base_url}")
        settings = gate_env(dsn, base_url, manage_sh, own, DJANGO_SETTINGS_MODULE="freesport.settings",
                            BACKUP_DIR=str(STATE_DIR / "backups"),
                            DISPOSABLE_PG=os.environ.get("DISPOSABLE_PG") or "auto",
                            LOCAL_TARGET_GUNICORN_PID=str(gunicorn.pid))
        write_private(LOCAL_ENV, MARKER + "\n# a local target is a rehearsal: its deployment window is always open\n"
                      + env_lines(settings))
        write_state(status="ready", pg_backend=pg.backend, pg_port=pg.port, gunicorn_pid=gunicorn.pid,
                    base_url=base_url, seeded=seeded, env_file=str(LOCAL_ENV))
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        write_state(status="stopping")
        return 0
    except Exception as exc:  # noqa: BLE001 - the daemon reports any failure through its state
        write_state(status="failed", error=f"{type(exc).__name__}: {exc}")
        say(f"local target failed: {type(exc).__name__}: {exc}")
        return 1
    finally:
        if gunicorn is not None:
            stop_group(gunicorn)
        pg.stop()


# -- the commands ---------------------------------------------------------------------
def up(timeout: float = 600.0) -> int:
    """Start the local target unless it already runs; wait until it is ready."""
    state = read_state()
    if state.get("status") == "ready" and pid_alive(state.get("daemon_pid")):
        say(f"local target already running: {state.get('base_url')}  (settings: {LOCAL_ENV})")
        return 0
    if state:
        down(quiet=True)
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    log = (STATE_DIR / "daemon.log").open("w")
    daemon = subprocess.Popen(
        [PYTHON, "-m", "rehearse.local_target", "serve"], cwd=REPO, stdin=subprocess.DEVNULL, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    write_state(status="starting", daemon_pid=daemon.pid)
    deadline = time.monotonic() + timeout
    shown = 0
    while time.monotonic() < deadline:
        text = (STATE_DIR / "daemon.log").read_text(errors="replace") if (STATE_DIR / "daemon.log").exists() else ""
        for line in text.splitlines()[shown:]:
            say(f"  {line}")
        shown = len(text.splitlines())
        status = read_state().get("status")
        if status == "ready":
            state = read_state()
            say(f"local target ready: {state['base_url']}  database {state['pg_backend']}:{state['pg_port']}")
            say(f"settings: {LOCAL_ENV}  (make preflight uses it when ENV_FILE is not given)")
            return 0
        if status == "failed" or daemon.poll() is not None:
            say(f"local target failed: {read_state().get('error', 'daemon exited')}; log: {STATE_DIR / 'daemon.log'}")
            down(quiet=True)
            return 1
        time.sleep(0.5)
    say("local target did not become ready in time")
    down(quiet=True)
    return 1


def down(quiet: bool = False) -> int:
    """Stop the daemon (it stops gunicorn and PostgreSQL), remove var/local-target and var/local.env."""
    state = read_state()
    pid = state.get("daemon_pid")
    if pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 40
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
    gunicorn_pid = state.get("gunicorn_pid")
    if pid_alive(gunicorn_pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(gunicorn_pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        from disposable_pg.local import sweep_orphans

        sweep_orphans()
    if LOCAL_ENV.exists() and LOCAL_ENV.read_text().startswith(MARKER):
        LOCAL_ENV.unlink()
    shutil.rmtree(STATE_DIR, ignore_errors=True)
    if not quiet:
        say("local target stopped and removed" if state else "no local target was running")
    return 0


def status() -> int:
    """Print the state; exit 0 when running."""
    state = read_state()
    running = state.get("status") == "ready" and pid_alive(state.get("daemon_pid"))
    say(json.dumps({**state, "running": running}, indent=2))
    return 0 if running else 1


def main(argv: list[str]) -> int:
    """``up`` | ``down`` | ``status`` | ``serve`` (the daemon itself)."""
    commands = {"up": up, "down": down, "status": status, "serve": serve}
    if len(argv) != 1 or argv[0] not in commands:
        sys.stderr.write("usage: python -m rehearse.local_target up|down|status\n")
        return 2
    return commands[argv[0]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
