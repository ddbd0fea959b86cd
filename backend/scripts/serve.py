"""Serve the reference backend on a disposable PostgreSQL at v13.4 with sample data (``make serve``).

Starts a disposable server (``DISPOSABLE_PG``), migrates, loads the committed CommerceML sample
through ``import_products_from_1c`` when both exist (else a few demo products), runs gunicorn on
a free port (``SERVE_PORT`` to pin it), prints the URL and stops everything on Ctrl-C. Logs and
the env file go to ``var/serve/`` (``SERVE_DIR``). ``served_backend()`` is reused by bench/.
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

import requests

BACKEND = Path(__file__).resolve().parents[1]
REPO = BACKEND.parent
sys.path.insert(0, str(REPO))

from disposable_pg import DisposablePostgres, disposable_postgres  # noqa: E402
from disposable_pg.local import free_port  # noqa: E402

SAMPLE_DIR = BACKEND / "sample_data" / "commerceml"
IMPORT_COMMAND = BACKEND / "apps" / "products" / "management" / "commands" / "import_products_from_1c.py"
DEMO_CATALOG = """
from decimal import Decimal
from apps.products.models import Brand, Category, Product, ProductVariant
cat = Category.objects.create(name="Обувь", slug="obuv", onec_id="demo-cat-1")
brand = Brand.objects.create(name="FreeSport", slug="freesport", onec_id="demo-brand-1")
for p in range(5):
    product = Product.objects.create(name=f"Кроссовки Demo {p}", slug=f"demo-{p}", onec_id=f"demo-{p}",
                                     brand=brand, category=cat)
    ProductVariant.objects.bulk_create(
        ProductVariant(product=product, sku=f"DEMO-{p}-{v}", onec_id=f"demo-{p}#v{v}",
                       color_name=("Черный", "Белый", "Тёмно-синий")[v % 3], size_value=str(38 + v),
                       retail_price=Decimal("2990.00") + v, stock_quantity=v)
        for v in range(6))
print(f"demo catalog: {Product.objects.count()} products, {ProductVariant.objects.count()} variants")
"""


@dataclass(frozen=True, slots=True)
class ServedBackend:
    """A running backend: its base URL, the env its commands need, and its logs."""

    base_url: str
    env: dict[str, str]
    log_dir: Path
    pg: DisposablePostgres

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return manage(self.env, *args, check=check)


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py`` like an operator would, in a child process with the backend's env."""
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BACKEND, env=env, check=check, text=True)


def backend_env(database_url: str, run_dir: Path) -> dict[str, str]:
    log_dir = run_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "freesport.settings",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_DIR": str(log_dir),
        "ONEC_DATA_DIR": str(run_dir / "onec"),
        "ONEC_EXCHANGE_USER": "exchange",
        "ONEC_EXCHANGE_PASSWORD": secrets.token_urlsafe(16),
    }


def load_sample_data(env: dict[str, str]) -> str:
    """Import the committed CommerceML sample (from a copy), or create a demo catalog without it."""
    onec_dir = Path(env["ONEC_DATA_DIR"])
    if IMPORT_COMMAND.exists() and SAMPLE_DIR.is_dir() and any(SAMPLE_DIR.iterdir()):
        shutil.rmtree(onec_dir, ignore_errors=True)
        shutil.copytree(SAMPLE_DIR, onec_dir)
        manage(env, "import_products_from_1c", "--full", "--data-dir", str(onec_dir))
        return f"imported {SAMPLE_DIR.relative_to(REPO)}"
    onec_dir.mkdir(parents=True, exist_ok=True)
    manage(env, "shell", "-c", DEMO_CATALOG)
    return "demo catalog (no CommerceML sample or importer yet)"


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    gunicorn_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=BACKEND, env=gunicorn_env,
        start_new_session=True,
    )


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}; see its log under LOG_DIR")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f}s")


def stop_gunicorn(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


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
        manage(env, "migrate", "--noinput", "-v", "0")
        setup(env)
        port = port or free_port()
        proc = start_gunicorn(env, port, workers)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_ready(f"{base_url}/api/health/", proc)
            yield ServedBackend(base_url, env, Path(env["LOG_DIR"]), pg)
        finally:
            stop_gunicorn(proc)


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
