"""The product list's queries right after a full 1C import, and the same after ``ANALYZE``: why PST-08 fails at 1M.

    .venv/bin/python bench/bench_list_after_import.py --dump var/cache/pre-migration/<key>.dump \\
        --onec var/cache/onec/<key>

On one disposable PostgreSQL (``DISPOSABLE_PG``, default local): ``pg_restore`` of a seeded v13.3
catalog (the rehearsal's seed cache), ``migrate``, ``flush_products``, ``import_products_from_1c
--full`` (the window's steps), then in one Django process the two queries of ``GET /products/``
(``count()`` of active products, the first page with brand and category) three times each, then
``ANALYZE`` of the catalog tables, then three times again. Prints both sides (milliseconds per run)
and the page query's plan on each, with the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from disposable_pg import disposable_postgres  # noqa: E402
from gate.settings import libpq_env  # noqa: E402

PROBE = r"""
import time
from django.db import connection
from apps.products.models import Product
def page():
    return list(Product.objects.active().select_related("brand", "category").order_by("id")[:20])
def count():
    return Product.objects.active().count()
def timed(label):
    for f in (count, page):
        runs = []
        for _ in range(3):
            t0 = time.perf_counter(); f(); runs.append(time.perf_counter() - t0)
        print(f"{label} {f.__name__} " + " ".join(f"{r * 1000:.0f}" for r in runs) + " ms", flush=True)
    print(Product.objects.active().select_related("brand", "category").order_by("id")[:20].explain())
timed("before-analyze")
t0 = time.perf_counter()
with connection.cursor() as cur:
    cur.execute("ANALYZE categories, brands, products, product_variants")
print(f"analyze {(time.perf_counter() - t0) * 1000:.0f} ms")
timed("after-analyze")
"""


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, required=True, help="pg_dump -Fc of a seeded v13.3 catalog")
    parser.add_argument("--onec", type=Path, required=True, help="the 1C package of the same size")
    args = parser.parse_args()
    print(f"load average before: {load_average()}", flush=True)
    with disposable_postgres(os.environ.get("DISPOSABLE_PG", "local")) as pg:
        dsn = pg.create_database("listbench")
        env = {**os.environ, "DATABASE_URL": dsn, "SECRET_KEY": "bench",
               "LOG_DIR": str(REPO / "var" / "bench-cache" / "log")}
        t0 = time.monotonic()
        subprocess.run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "-j", "2", "-d", "listbench",
                        str(args.dump)], env={**os.environ, **libpq_env(dsn)}, check=True)
        print(f"restore {time.monotonic() - t0:.1f} s", flush=True)
        manage = [str(REPO / ".venv" / "bin" / "python"), "manage.py"]
        for step in (["migrate", "--noinput"], ["flush_products", "--confirm", "--skip-interactive", "--format", "json"],
                     ["import_products_from_1c", "--full", "--data-dir", str(args.onec.resolve())]):
            t0 = time.monotonic()
            subprocess.run([*manage, *step], cwd=REPO / "backend", env=env, check=True, stdout=subprocess.DEVNULL)
            print(f"{step[0]} {time.monotonic() - t0:.1f} s", flush=True)
        subprocess.run([*manage, "shell", "-c", PROBE], cwd=REPO / "backend", env=env, check=True)
    print(f"load average after: {load_average()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
