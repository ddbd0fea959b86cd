"""Serve the reference backend on a disposable PostgreSQL at v13.4 with sample data (``make serve``).

Starts a disposable server (``DISPOSABLE_PG``), migrates, loads the committed CommerceML sample
through ``import_products_from_1c``, runs gunicorn on a free port (``SERVE_PORT`` to pin it),
prints the URL and stops everything on Ctrl-C. Logs and the env file go to ``var/serve/``
(``SERVE_DIR``). ``served_backend()`` is reused by bench/. The backend's paths, settings,
``manage.py`` and gunicorn line are :mod:`rehearse.backend`'s.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # run as a script (make serve): the repository's packages

from disposable_pg import DisposablePostgres, disposable_postgres  # noqa: E402
from rehearse import backend as bundled  # noqa: E402
from rehearse.child import free_port, stop_group, wait_http  # noqa: E402


@dataclass(frozen=True, slots=True)
class ServedBackend:
    """A running backend: its base URL, the env its commands need, and its logs."""

    base_url: str
    env: dict[str, str]
    log_dir: Path
    pg: DisposablePostgres

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return bundled.manage(self.env, *args, check=check)


def backend_env(database_url: str, run_dir: Path) -> dict[str, str]:
    """This process's environment plus the backend's own settings (rehearse.backend.backend_env)."""
    log_dir = run_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    return {**os.environ, **bundled.backend_env(database_url, log_dir, run_dir / "onec", secrets.token_urlsafe(16))}


def load_sample_data(env: dict[str, str]) -> str:
    """Import the committed CommerceML sample (from a copy)."""
    onec_dir = Path(env["ONEC_DATA_DIR"])
    shutil.rmtree(onec_dir, ignore_errors=True)
    shutil.copytree(bundled.SAMPLE_DIR, onec_dir)
    bundled.manage(env, "import_products_from_1c", "--full", "--data-dir", str(onec_dir))
    return f"imported {bundled.SAMPLE_DIR.relative_to(REPO)}"


@contextlib.contextmanager
def served_backend(
    run_dir: Path,
    setup: Callable[[dict[str, str]], object] = load_sample_data,
    port: int | None = None,
    workers: int = 2,
    pg_choice: str | None = None,
) -> Iterator[ServedBackend]:
    """Disposable PG -> migrate (v13.4) -> ``setup(env)`` -> gunicorn; all torn down on exit."""
    with disposable_postgres(pg_choice) as pg:
        env = backend_env(pg.create_database("freesport"), run_dir)
        bundled.manage(env, "migrate", "--noinput", "-v", "0")
        setup(env)
        port = port or free_port()
        log_dir = Path(env["LOG_DIR"])
        proc = bundled.start_gunicorn(env, port, workers, log_dir)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_http(f"{base_url}/api/health/", proc, log=log_dir / "gunicorn.stderr")
            yield ServedBackend(base_url, env, log_dir, pg)
        finally:
            stop_group(proc)


def say(line: str, flush: bool = False) -> None:
    sys.stdout.write(line + "\n")
    if flush:
        sys.stdout.flush()


def main() -> int:
    run_dir = Path(os.environ.get("SERVE_DIR") or REPO / "var" / "serve").resolve()
    port = int(os.environ["SERVE_PORT"]) if os.environ.get("SERVE_PORT") else None
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    loaded: list[str] = []
    try:
        with served_backend(run_dir, setup=lambda env: loaded.append(load_sample_data(env)), port=port) as served:
            env_file = run_dir / "backend.env"
            keys = ("DATABASE_URL", "SECRET_KEY", "LOG_DIR", "ONEC_DATA_DIR", "ONEC_EXCHANGE_USER",
                    "ONEC_EXCHANGE_PASSWORD", "ALLOWED_HOSTS", "DEBUG", "DJANGO_SETTINGS_MODULE")
            env_file.write_text("".join(f"{k}={served.env[k]}\n" for k in keys))
            env_file.chmod(0o600)
            say(f"FreeSport backend (v13.4, {served.pg.backend} PostgreSQL, {loaded[0]})")
            say(f"  {served.base_url}/api/products/")
            say(f"  {served.base_url}/api/health/")
            say(f"  logs: {served.log_dir}   settings: {env_file} (for manage.py: set -a; . {env_file})")
            say("Ctrl-C stops gunicorn and the database.", flush=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        say("\nstopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
