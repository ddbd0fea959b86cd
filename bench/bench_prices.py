"""Benchmark of PST-11/12 (prices and stock vs the 1C package): the default sample and 100k SKUs.

For each package it imports the package into a fresh v13.4 database (the importer, not timed
here: bench_import.py does that), then times, in this process, best of ``--repeat``:

* the references, the least any proof must pay: a raw streaming read of every XML file
  (``lxml.etree.iterparse``, elements cleared, nothing kept) and a ``COPY (SELECT onec_id, prices,
  stock …) TO STDOUT`` of the variants the checks read;
* the checks' work: the gate's package reading (``read_package``), its prices/stock reading
  (``read_prices``), the database read (``variant_values``) and both comparisons (sample 1000,
  and every variant);

and prints them side by side with the ratio to the references.

Usage: ``.venv/bin/python bench/bench_prices.py [--sizes sample,100000] [--keep DIR] [--repeat 3]``.
Runs on a disposable PostgreSQL (``DISPOSABLE_PG``, default auto).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rehearse.backend import BACKEND, SAMPLE_DIR, manage  # noqa: E402

K = 5


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def raw_read(root: Path) -> int:
    """Every element of every XML file, streamed and cleared: the floor of any reading."""
    from lxml import etree

    from gate.onec.package import xml_files

    n = 0
    for path in xml_files(root):
        for _event, el in etree.iterparse(str(path), events=("end",), huge_tree=True, resolve_entities=False,
                                          no_network=True, load_dtd=False):
            n += 1
            el.clear()
            parent = el.getparent()
            while parent is not None and el.getprevious() is not None:
                del parent[0]
    return n


def copy_out(dsn: str, columns: tuple[str, ...]) -> int:
    """``COPY`` of what PST-11/12 read from the database, to nowhere: the floor of the database side."""
    import psycopg

    cols = ", ".join(f"v.{c}" for c in columns)
    size = 0
    with psycopg.connect(dsn) as conn, conn.cursor() as cur, cur.copy(
            f"COPY (SELECT v.onec_id, {cols}, v.stock_quantity FROM product_variants v JOIN products p "
            "ON p.id = v.product_id WHERE v.is_active AND p.is_active) TO STDOUT") as copy:
        for block in copy:
            size += len(block)
    return size


def measure(pkg: Path, dsn: str, repeat: int) -> dict[str, Any]:
    """Time the references and PST-11/12's parts on one imported package."""
    import psycopg

    from gate.onec.package import read_package
    from gate.onec.price_types import load_price_types
    from gate.onec.prices import compare_prices, compare_stock, read_prices, variant_values

    price_map = load_price_types(REPO / "deploy" / "price-types.yml")
    out: dict[str, Any] = {"xml_mb": sum(p.stat().st_size for p in pkg.rglob("*.xml")) / 1e6}
    out["raw_read_s"], _ = best_of(repeat, lambda: raw_read(pkg))
    out["copy_s"], _ = best_of(repeat, lambda: copy_out(dsn, price_map.columns))
    out["read_package_s"], package = best_of(repeat, lambda: read_package(pkg))
    out["read_prices_s"], reading = best_of(repeat, lambda: read_prices(pkg))
    with psycopg.connect(dsn) as conn:
        conn.read_only = True
        out["db_read_s"], db = best_of(repeat, lambda: variant_values(conn, price_map.columns))
    for label, size in (("sample", 1000), ("all", 0)):
        seconds, found = best_of(repeat, lambda size=size: (compare_prices(reading, package, price_map, db, size, 13),
                                                            compare_stock(reading, package, db, size, 13)))
        out[f"compare_{label}_s"] = seconds
        out[f"ok_{label}"] = found[0].ok and found[1].ok and not found[0].high_findings
    out["variants"] = len(db)
    out["pst_s"] = out["read_prices_s"] + out["db_read_s"] + out["compare_sample_s"]
    out["reference_s"] = out["raw_read_s"] + out["copy_s"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="sample,100000", help="'sample' (the committed package) and/or SKU counts")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", default=None, help="keep the generated packages in this folder")
    args = parser.parse_args()

    from disposable_pg import disposable_postgres

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-prices-"))
    work.mkdir(parents=True, exist_ok=True)
    results: list[tuple[str, dict[str, Any]]] = []
    with disposable_postgres(os.environ.get("DISPOSABLE_PG")) as pg:
        env = {**os.environ, "SECRET_KEY": "bench", "LOG_DIR": str(work / "log"), "PYTHONPATH": f"{BACKEND}:{REPO}",
               "DJANGO_SETTINGS_MODULE": "freesport.settings",
               "PRICE_TYPES_FILE": str(REPO / "deploy" / "price-types.yml"),
               "DATABASE_URL": pg.get_connection_url(dbname="bench_template")}
        pg.create_database("bench_template")
        manage(env, "migrate", "-v0")
        for size in args.sizes.split(","):
            if size == "sample":
                pkg = SAMPLE_DIR
            else:
                pkg = work / f"pkg-{size}"
                if not pkg.exists():
                    manage(env, "generate_commerceml", "--products", str(max(1, int(size) // K)),
                           "--variants-per-product", str(K), "--seed", str(args.seed), "--out", str(pkg))
            db = f"bench_prices_{size}"
            dsn = pg.create_database(db, template="bench_template")
            started = time.perf_counter()
            manage({**env, "DATABASE_URL": dsn}, "import_products_from_1c", "--full", "--data-dir", str(pkg))
            print(f"  {size}: imported in {time.perf_counter() - started:.1f}s", flush=True)
            results.append((size, measure(pkg, dsn, args.repeat)))
            pg.drop_database(db)

    header = ("package", "variants", "XML MB", "raw XML read s", "COPY s", "read_package s", "read_prices s",
              "DB read s", "compare (1000) s", "compare (all) s", "PST-11/12 s", "ratio to reference", "pass")
    print("\n| " + " | ".join(header) + " |")
    print("|" + "|".join("---:" for _ in header) + "|")
    for size, r in results:
        print(f"| {size} | {r['variants']:,} | {r['xml_mb']:.1f} | {r['raw_read_s']:.2f} | {r['copy_s']:.3f} | "
              f"{r['read_package_s']:.2f} | {r['read_prices_s']:.2f} | {r['db_read_s']:.3f} | "
              f"{r['compare_sample_s']:.3f} | {r['compare_all_s']:.3f} | {r['pst_s']:.2f} | "
              f"{r['pst_s'] / r['reference_s']:.2f}x | {r['ok_sample'] and r['ok_all']} |")
    print("\nPST-11/12 s = read_prices + DB read + compare (1000); read_package is shared with PST-01/02 (cached per "
          "run); reference = raw XML read + COPY.")
    try:
        load = os.getloadavg()
        print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end")
    except OSError:
        pass


if __name__ == "__main__":
    main()
