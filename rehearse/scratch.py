"""A throw-away FreeSport for the window's end-to-end self-test and benchmark (never the configured target).

Same recipe as ``make local-target`` (rehearse/local_target.py) but self-contained and in a
directory of its own, so it can run beside a local target: disposable PostgreSQL → the bundled
backend at v13.3 (``seed_legacy_catalog``; made once per code and parameters, then restored from
the seed cache, rehearse/seed_cache.py) → gunicorn → an env file for the gate. The 1C package
is the committed sample, or one generated with ``generate_commerceml`` for ``products`` goods.

>>> with scratch_target(Path("/tmp/w")) as env_file:       # doctest: +SKIP
...     subprocess.run(["python", "-m", "gate.window", "migrate", "--confirm"], env={"ENV_FILE": env_file})
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

from gate.settings import default_pg_bin_dir
from rehearse.bundled import (
    BACKEND,
    COPY_URL_OVERRIDE,
    PYTHON,
    SAMPLE_DIR,
    TRIAL_DB_ENV,
    env_lines,
    free_port,
    manage,
    migrate_to_v13_3,
    wait_http,
    write_private,
)
from rehearse.seed_cache import SeedCache, cache_for, seed_or_restore


def scratch_seed_cache(params: dict[str, int]) -> SeedCache | None:
    """The seeded state of a scratch target, kept like the rehearsal's (``REHEARSAL_SEED_CACHE=off``: none)."""
    inputs = {"recipe": "rehearse.scratch: migrate_to_v13_3 + seed_legacy_catalog", "settings": "freesport.settings"}
    return cache_for(os.environ, BACKEND, params, inputs, str(default_pg_bin_dir()))


SAMPLE_PRODUCTS, SAMPLE_SEED, SAMPLE_VARIANTS = 200, 42, 3
"""N, seed and K of the committed sample (backend/sample_data/README.md)."""


def sample_parameters() -> tuple[int, int]:
    """N and seed of the committed CommerceML sample."""
    return SAMPLE_PRODUCTS, SAMPLE_SEED


@contextlib.contextmanager
def scratch_target(directory: Path, products: int | None = None, variants_per_product: int = 3,
                   seed: int | None = None, pg_choice: str | None = None, workers: int = 2) -> Iterator[Path]:
    """Yield the path of an env file describing a fresh v13.3 target; everything is torn down after."""
    from disposable_pg import disposable_postgres

    directory.mkdir(parents=True, exist_ok=True)
    log_dir = directory / "log"
    log_dir.mkdir(exist_ok=True)
    sample_n, sample_seed = sample_parameters()
    n, s = products or sample_n, sample_seed if seed is None else seed
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
        if (n, s) != (sample_n, sample_seed):
            onec_dir = directory / "commerceml"
            manage(env, "generate_commerceml", "--products", str(n), "--variants-per-product",
                   str(variants_per_product), "--seed", str(s), "--out", str(onec_dir))
            backend_env["ONEC_DATA_DIR"] = env["ONEC_DATA_DIR"] = str(onec_dir)
        write_private(directory / "backend.env", env_lines(backend_env))
        manage_sh = directory / "manage.sh"
        manage_sh.write_text(
            "#!/usr/bin/env bash\nset -euo pipefail\n"
            f"set -a; . {shlex.quote(str(directory / 'backend.env'))}; set +a\n"
            + COPY_URL_OVERRIDE +
            f"cd {shlex.quote(str(BACKEND))}\nexec {shlex.quote(PYTHON)} manage.py \"$@\"\n")
        manage_sh.chmod(0o700)

        def seed() -> str:
            migrate_to_v13_3(env)
            manage(env, "seed_legacy_catalog", "--products", str(n), "--seed", str(s),
                   "--variants-per-product", str(variants_per_product))
            return f"v13.3 (app by app), seed_legacy_catalog --products {n} --seed {s}"

        seed_or_restore(scratch_seed_cache({"products": n, "variants_per_product": variants_per_product, "seed": s}),
                        dsn, seed)
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
