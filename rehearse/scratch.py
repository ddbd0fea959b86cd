"""A throw-away FreeSport for the window's end-to-end self-test and benchmark (never the configured target).

Same recipe as ``make local-target`` (rehearse/local_target.py) but self-contained and in a
directory of its own, so it can run beside a local target: disposable PostgreSQL → the bundled
backend at v13.3 (``seed_legacy_catalog``) → gunicorn → an env file for the gate. The 1C package
is the committed sample, or one generated with ``generate_commerceml`` for ``products`` goods.

>>> with scratch_target(Path("/tmp/w")) as env_file:       # doctest: +SKIP
...     subprocess.run(["python", "-m", "gate.window", "migrate", "--confirm"], env={"ENV_FILE": env_file})
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

from rehearse.backend import (
    BACKEND,
    PYTHON,
    SAMPLE_DIR,
    TRIAL_DB_ENV,
    Sample,
    manage,
    manage_script,
    migrate_to_v13_3,
    sample_parameters,
)
from rehearse.child import env_lines, free_port, wait_http, write_private


@contextlib.contextmanager
def scratch_target(directory: Path, products: int | None = None, variants_per_product: int | None = None,
                   seed: int | None = None, pg_choice: str | None = None, workers: int = 2) -> Iterator[Path]:
    """Yield the path of an env file describing a fresh v13.3 target; everything is torn down after.

    ``products``, ``variants_per_product`` and ``seed`` default to the committed 1C sample's; any
    other size seeds that size and imports a package generated with it.
    """
    from disposable_pg import disposable_postgres

    directory.mkdir(parents=True, exist_ok=True)
    log_dir = directory / "log"
    log_dir.mkdir(exist_ok=True)
    committed = sample_parameters()
    size = Sample(products or committed.products, variants_per_product or committed.variants_per_product,
                  committed.seed if seed is None else seed)
    with disposable_postgres(pg_choice or os.environ.get("DISPOSABLE_PG") or "auto") as pg:
        dsn = pg.create_database("freesport")
        password = secrets.token_urlsafe(16)
        onec_dir = SAMPLE_DIR
        backend_env = {
            "DJANGO_SETTINGS_MODULE": "freesport.settings", "DATABASE_URL": dsn,
            "SECRET_KEY": secrets.token_urlsafe(32), "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_DIR": str(log_dir), "ONEC_DATA_DIR": str(onec_dir), "MAINTENANCE_STATE_DIR": str(directory),
            "ONEC_EXCHANGE_USER": "exchange", "ONEC_EXCHANGE_PASSWORD": password,
            "STATIC_ROOT": str(directory / "static"),
        }
        env = {**os.environ, **backend_env}
        if size != committed:
            onec_dir = directory / "commerceml"
            manage(env, "generate_commerceml", *size.options(), "--out", str(onec_dir))
            backend_env["ONEC_DATA_DIR"] = env["ONEC_DATA_DIR"] = str(onec_dir)
        write_private(directory / "backend.env", env_lines(backend_env))
        manage_sh = manage_script(directory / "manage.sh", env_file=directory / "backend.env")
        migrate_to_v13_3(env)
        manage(env, "seed_legacy_catalog", *size.options())
        port = free_port()
        gunicorn = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=BACKEND,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)},
            stdout=subprocess.DEVNULL, stderr=(log_dir / "gunicorn.stderr").open("w"), start_new_session=True)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_http(f"{base_url}/api/health/", gunicorn)
            gate_env = {
                "DATABASE_URL": dsn, "BASE_URL": base_url, "API_PREFIX": "/api", "BACKEND_DIR": str(BACKEND),
                "MANAGE_CMD": str(manage_sh), "LOG_DIR": str(log_dir), "ONEC_DATA_DIR": backend_env["ONEC_DATA_DIR"],
                "ONEC_HEALTHCHECK_URL": f"{base_url}/api/integration/1c/exchange/?type=catalog&mode=checkauth",
                "ONEC_EXCHANGE_USER": "exchange", "ONEC_EXCHANGE_PASSWORD": password,
                "BACKUP_DIR": str(directory / "backups"), "RUNS_ROOT": str(directory / "runs"),
                "DISPOSABLE_PG": pg_choice or os.environ.get("DISPOSABLE_PG") or "auto", "WINDOW_OPEN": "true",
                "TRIAL_DB_ENV": TRIAL_DB_ENV,
            }
            env_file = directory / "target.env"
            write_private(env_file, env_lines(gate_env))
            yield env_file
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(gunicorn.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                gunicorn.wait(timeout=20)
