"""Benchmark of the 1C import: 1k / 10k / 100k SKUs into an empty v13.4 database.

For each size it generates the CommerceML 3.1 package (``generate_commerceml``, K=5 variants per
product: 200 / 2,000 / 20,000 products), then measures in subprocesses (``os.wait4`` gives each
child's own peak RSS):

* the import into an empty v13.4 database (``import_products_from_1c --full``): seconds, SKU/s, peak RSS;
* the re-import of the same package (nothing changes);
* the validate-only time (``--dry-run``);
* the floor: a bare psycopg ``COPY`` of the very rows the import produced into the same tables
  (categories, brands, products, product_variants) of another empty v13.4 database.

Usage: ``.venv/bin/python bench/bench_import.py [--sizes 1000,10000,100000] [--keep DIR] [--quick]``
(``bench/bench_scale.py`` runs the import at 10k / 100k / 1M with the packages cached in ``var/bench-cache``).
Runs on a disposable PostgreSQL (``DISPOSABLE_PG``, default auto).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rehearse.backend import BACKEND, command  # noqa: E402

K = 5
TABLES = ("categories", "brands", "products", "product_variants")


def _pss(pid: int) -> int | None:
    """Proportional set size from /proc/<pid>/smaps_rollup (cheap: one summary, not every mapping)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _tree_rss(proc: psutil.Process) -> int:
    """Memory of the process tree: PSS (shared pages of the forked reader counted once), else RSS."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            pss = _pss(p.pid)
            total += pss if pss is not None else p.memory_info().rss
    return total


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str, float]:
    """Run ``manage.py args`` as a child: (wall seconds, peak RSS MB, output, CPU seconds).

    Peak memory is the largest PSS sum over the command's process tree (the importer forks a
    reader for the prices/rests files; PSS counts the pages they share once), sampled every 100 ms,
    and at least the command's own ``ru_maxrss``.
    CPU seconds include the forked reader (``os.wait4`` accounts for waited grandchildren)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(command(*args), cwd=BACKEND, env=env, stdout=out, stderr=subprocess.STDOUT)
        peak, status, usage = _watch(proc)
        out.seek(0)
        output = out.read().decode("utf-8", errors="replace")
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed ({proc.returncode}):\n{output[-3000:]}")
    peak_mb = max(peak / 2**20, usage.ru_maxrss / 1024)
    return seconds, peak_mb, output, usage.ru_utime + usage.ru_stime


def _watch(proc: subprocess.Popen) -> tuple[int, int, Any]:
    """Wait for ``proc``, sampling its process tree's RSS: (peak bytes, wait status, rusage)."""
    watched = psutil.Process(proc.pid)
    peak = 0
    while True:
        try:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:
            raise SystemExit(f"lost the child process {proc.pid}") from None
        if pid:
            break
        with contextlib.suppress(psutil.Error):
            peak = max(peak, _tree_rss(watched))
        time.sleep(0.1)
    return peak, status, usage


def _inner_seconds(output: str) -> float:
    """The importer's own duration ("Import completed in 12.3s"), without interpreter/Django start-up."""
    for line in output.splitlines():
        if line.startswith("Import completed in "):
            return float(line.split()[3].rstrip("s"))
    return float("nan")


def copy_floor(pg, source_db: str, target_db: str) -> float:
    """Bare COPY of the rows the import wrote (read from source_db) into target_db's tables."""
    import psycopg

    dumps: dict[str, bytes] = {}
    with psycopg.connect(pg.get_connection_url(dbname=source_db)) as src, src.cursor() as cur:
        for table in TABLES:
            buf = io.BytesIO()
            with cur.copy(f"COPY {table} TO STDOUT") as copy:
                for chunk in copy:
                    buf.write(chunk)
            dumps[table] = buf.getvalue()
    with psycopg.connect(pg.get_connection_url(dbname=target_db)) as dst, dst.cursor() as cur:
        started = time.perf_counter()
        for table in TABLES:
            with cur.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(dumps[table])
        dst.commit()
        return time.perf_counter() - started


def measure_size(pg, env: dict[str, str], work: Path, skus: int, seed: int = 42, quick: bool = False) -> dict:
    """Generate (or reuse) the ``skus`` package in ``work``, import it into a fresh copy of the
    ``bench_template`` database and measure; ``quick``: the import and its floor only."""
    import psycopg

    products = max(1, skus // K)
    pkg = work / f"pkg-{skus}"
    if not (pkg / "goods").is_dir():
        run(["generate_commerceml", "--products", str(products), "--variants-per-product", str(K),
             "--seed", str(seed), "--out", str(pkg)], env)
    size_mb = sum(p.stat().st_size for p in pkg.rglob("*.xml")) / 1e6
    db, floor_db = f"bench_{skus}", f"bench_floor_{skus}"
    for name in (db, floor_db):
        pg.create_database(name, template="bench_template")
    run_env = {**env, "DATABASE_URL": pg.get_connection_url(dbname=db)}
    validate_s = validate_rss = reimport_s = reimport_rss = float("nan")
    if not quick:
        validate_s, validate_rss, _, _ = run(["import_products_from_1c", "--dry-run", "--data-dir", str(pkg)], run_env)
    import_s, import_rss, out, import_cpu = run(["import_products_from_1c", "--full", "--data-dir", str(pkg)], run_env)
    print(f"  {skus} SKUs: {out.strip().splitlines()[-1][:160]}", flush=True)
    if not quick:
        reimport_s, reimport_rss, out2, _ = run(["import_products_from_1c", "--full", "--data-dir", str(pkg)], run_env)
        print(f"  re-import: {out2.strip().splitlines()[-1][:160]}", flush=True)
    with psycopg.connect(pg.get_connection_url(dbname=db)) as conn:
        variants = conn.execute("SELECT count(*) FROM product_variants").fetchone()[0]
        n_products = conn.execute("SELECT count(*) FROM products").fetchone()[0]
    floor_s = copy_floor(pg, db, floor_db)
    for name in (db, floor_db):
        pg.drop_database(name)
    return {
        "skus": variants, "products": n_products, "xml_mb": size_mb, "import_s": import_s,
        "inner_s": _inner_seconds(out), "cpu_s": import_cpu,
        "sku_per_s": variants / import_s, "rss_mb": import_rss, "reimport_s": reimport_s,
        "reimport_rss_mb": reimport_rss, "validate_s": validate_s, "validate_rss_mb": validate_rss,
        "floor_s": floor_s,
    }


def prepare(pg, work: Path) -> dict[str, str]:
    """The environment of ``manage.py`` and one migrated ``bench_template`` database to copy."""
    env = {**os.environ, "SECRET_KEY": "bench", "LOG_DIR": str(work / "log"), "PYTHONPATH": f"{BACKEND}:{REPO}",
           "DATABASE_URL": pg.get_connection_url(dbname="bench_template")}
    pg.create_database("bench_template")
    run(["migrate", "-v0"], env)  # one migrated template; every run gets a fresh copy of it
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="SKU counts (products = SKUs / 5)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", default=None, help="keep the generated packages in this folder (reused when there)")
    parser.add_argument("--quick", action="store_true", help="the import and its COPY floor only (no dry run, no re-import)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from disposable_pg import disposable_postgres

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    with disposable_postgres(os.environ.get("DISPOSABLE_PG")) as pg:
        env = prepare(pg, work)
        results = [measure_size(pg, env, work, skus, args.seed, args.quick) for skus in sizes]

    header = ("SKUs", "products", "XML MB", "import s (command)", "import s (importer)", "client CPU s", "SKU/s",
              "peak RSS MB (tree)", "re-import s", "validate-only s", "COPY floor s")
    print("\n| " + " | ".join(header) + " |")
    print("|" + "|".join("---:" for _ in header) + "|")
    for r in results:
        print(f"| {r['skus']:,} | {r['products']:,} | {r['xml_mb']:.0f} | {r['import_s']:.1f} | {r['inner_s']:.1f} | "
              f"{r['cpu_s']:.1f} | {r['sku_per_s']:,.0f} | "
              f"{r['rss_mb']:.0f} | {r['reimport_s']:.1f} | {r['validate_s']:.1f} | {r['floor_s']:.1f} |")
    try:
        load = os.getloadavg()
        print(f"\nmachine: {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end")
    except OSError:
        pass


if __name__ == "__main__":
    main()
