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
from collections.abc import Iterator
from pathlib import Path

from gate.settings import default_pg_bin_dir
from rehearse.backend import (
    BACKEND,
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
from rehearse.child import env_lines, free_port, stop_group, wait_http, write_private
from rehearse.seed_cache import SeedCache, cache_for, seed_or_restore


def scratch_seed_cache(size: Sample) -> SeedCache | None:
    """The seeded state of a scratch target, kept like the rehearsal's (``REHEARSAL_SEED_CACHE=off``: none)."""
    inputs = {"recipe": "rehearse.scratch: migrate_to_v13_3 + seed_legacy_catalog", "settings": "freesport.settings"}
    return cache_for(os.environ, BACKEND, size.as_dict(), inputs, str(default_pg_bin_dir()))


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
        own = backend_env(dsn, log_dir, SAMPLE_DIR, secrets.token_urlsafe(16),
                          MAINTENANCE_STATE_DIR=str(directory), STATIC_ROOT=str(directory / "static"))
        env = {**os.environ, **own}
        if size != committed:
            onec_dir = directory / "commerceml"
            manage(env, "generate_commerceml", *size.options(), "--out", str(onec_dir))
            own["ONEC_DATA_DIR"] = env["ONEC_DATA_DIR"] = str(onec_dir)
        write_private(directory / "backend.env", env_lines(own))
        manage_sh = manage_script(directory / "manage.sh", env_file=directory / "backend.env")

        def seed_v13_3() -> str:
            migrate_to_v13_3(env)
            manage(env, "seed_legacy_catalog", *size.options())
            return f"v13.3 (app by app), seed_legacy_catalog {' '.join(size.options())}"

        seed_or_restore(scratch_seed_cache(size), dsn, seed_v13_3)
        port = free_port()
        gunicorn = start_gunicorn(env, port, workers, log_dir)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_http(f"{base_url}/api/health/", gunicorn)
            settings = gate_env(dsn, base_url, manage_sh, own, BACKUP_DIR=str(directory / "backups"),
                                RUNS_ROOT=str(directory / "runs"),
                                DISPOSABLE_PG=pg_choice or os.environ.get("DISPOSABLE_PG") or "auto")
            env_file = directory / "target.env"
            write_private(env_file, env_lines(settings))
            yield env_file
        finally:
            stop_group(gunicorn)
