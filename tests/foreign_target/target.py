"""A second target that is not the gate's defaults: the foreign shop on a disposable PostgreSQL under gunicorn.

Its traits (issue 11): API under ``/api/v1/``; no ``maintenance_mode`` command (a flag file, set by
a command line); an importer with no ``--full`` that deletes its input; a ``flush_products`` whose
dry run prints text only; releases identified by commit; its settings module (``shopconf``) found
through ``PYTHONPATH``, its database through ``DB_NAME``/``DB_HOST``/…; a release whose ``RunPython``
migrations delete every order and every cart item; a partial index with an ``IN`` predicate on
``users``; favorites cascading from products; variants showing ``current_price`` and no 1C id; a
Django log with the level first. The gate reaches it by settings only (``worked_env`` below is the
env file docs/deployment.md shows).

>>> with foreign_target(Path("/tmp/f")) as target:    # doctest: +SKIP
...     target.env_file(configured=True)
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gate.handoff import DbCoordinates
from rehearse.backend import PYTHON, manage, manage_script
from rehearse.child import env_lines, free_port, wait_http, write_private

HERE = Path(__file__).resolve().parent
SHOP, CONF = HERE / "shop", HERE / "conf"
RELEASE_COMMIT = "3f2c9e1a7b4d"
RELEASE_PLAN = ["catalog.0002_productvariant", "catalog.0003_remove_product_per_sku_fields",
                "orders.0002_cleanup_test_orders", "orders.0003_clear_stale_carts"]


@dataclass
class ForeignTarget:
    """The running foreign shop: where it is and how to reach it."""

    directory: Path
    dsn: str
    base_url: str
    shop_env: dict[str, str] = field(default_factory=dict)

    @property
    def manage_sh(self) -> Path:
        return self.directory / "manage.sh"

    def env_file(self, configured: bool, **extra: str) -> Path:
        """The gate's env file: connection only (the runbook's defaults), or the worked configuration."""
        values = {"DATABASE_URL": self.dsn, "BASE_URL": self.base_url, "API_PREFIX": "/api/v1",
                  "BACKEND_DIR": str(SHOP), "MANAGE_CMD": str(self.manage_sh), "DJANGO_SETTINGS_MODULE": "shopconf",
                  "ONEC_DATA_DIR": str(self.directory / "onec"),
                  "ONEC_HEALTHCHECK_URL": f"{self.base_url}/api/integration/1c/exchange/?type=catalog&mode=checkauth",
                  "ONEC_EXCHANGE_USER": "exchange", "ONEC_EXCHANGE_PASSWORD": self.shop_env["SHOP_EXCHANGE_PASSWORD"],
                  "BACKUP_DIR": str(self.directory / "backups"), "RUNS_ROOT": str(self.directory / "runs"),
                  "LOG_DIR": str(self.directory / "log"), "WINDOW_OPEN": "true",
                  "DISPOSABLE_PG": os.environ.get("DISPOSABLE_PG") or "local",
                  "RELEASE_TAG": RELEASE_COMMIT, "EXPECTED_PLAN": ",".join(RELEASE_PLAN),
                  **{k: v for k, v in self.shop_env.items() if k.startswith(("DB_", "SHOP_"))}}
        if configured:
            values.update(worked_env(self.directory))
        values.update(extra)
        path = self.directory / ("configured.env" if configured else "defaults.env")
        write_private(path, env_lines(values))
        return path


def worked_env(directory: Path) -> dict[str, str]:
    """The settings that point the gate around this shop's drift (docs/deployment.md, "A worked env file")."""
    flag = shlex.quote(str(directory / "maintenance.flag"))
    return {
        "MAINTENANCE_ON_CMD": f"touch {flag}", "MAINTENANCE_OFF_CMD": f"rm -f {flag}",
        "DEPLOY_CMD": ":", "DEPLOYED_VERSION_CMD": f"echo {RELEASE_COMMIT}", "PIP_CHECK_CMD": "true",
        "IMPORT_ARGS": "", "IMPORT_READS_COPY": "yes",
        "TRIAL_DB_ENV": "db_parts", "API_PRICE_FIELDS": "current_price",
        "APP_STOP_CMD": ":", "APP_START_CMD": ":", "CHECKOUT_CMD": ":",
        "MIGRATION_WAIVERS": str(HERE / "migration-waivers.yml"),
    }


@contextlib.contextmanager
def foreign_target(directory: Path, pg_choice: str | None = None) -> Iterator[ForeignTarget]:
    """The foreign shop at its pre-release state (seeded), served by gunicorn; torn down after."""
    import shutil

    from disposable_pg import disposable_postgres

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "log").mkdir(exist_ok=True)
    shutil.copytree(HERE.parents[1] / "backend" / "sample_data" / "commerceml", directory / "onec", dirs_exist_ok=True)
    with disposable_postgres(pg_choice or os.environ.get("DISPOSABLE_PG") or "local") as pg:
        dsn = pg.create_database("shop")
        db = DbCoordinates.from_url(dsn)
        shop_env = {"DB_NAME": db.name, "DB_HOST": db.host, "DB_PORT": str(db.port), "DB_USER": db.user,
                    "DB_PASSWORD": db.password, "SHOP_LOG_DIR": str(directory / "log"),
                    "SHOP_MAINTENANCE_FLAG": str(directory / "maintenance.flag"),
                    "SHOP_EXCHANGE_USER": "exchange", "SHOP_EXCHANGE_PASSWORD": secrets.token_urlsafe(12)}
        env = {**os.environ, **shop_env, "PYTHONPATH": str(CONF), "DJANGO_SETTINGS_MODULE": "shopconf"}
        for app in ("accounts", "catalog", "orders"):
            manage(env, "migrate", app, "0001", "--noinput", cwd=SHOP)
        manage(env, "migrate", "contenttypes", "--noinput", cwd=SHOP)
        manage(env, "seed_shop", cwd=SHOP)
        # the deployment's own manage.py line: its settings on PYTHONPATH, its database from DB_* (the env)
        manage_script(directory / "manage.sh", cwd=SHOP, honours_copy=False,
                      exports={"PYTHONPATH": str(CONF), "DJANGO_SETTINGS_MODULE": "shopconf"})
        port = free_port()
        gunicorn = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "--chdir", str(SHOP), "--pythonpath", str(CONF), "-b", f"127.0.0.1:{port}",
             "-w", "2", "shopapi:application"], cwd=SHOP, env=env, stdout=subprocess.DEVNULL,
            stderr=(directory / "log" / "gunicorn.stderr").open("w"), start_new_session=True)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_http(f"{base_url}/api/v1/health/", gunicorn)
            yield ForeignTarget(directory, dsn, base_url, shop_env)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(gunicorn.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                gunicorn.wait(timeout=20)
