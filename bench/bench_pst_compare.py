"""PST-11/12's own cost, this code against an earlier commit's, in one run (alternating), with the same results.

    .venv/bin/python bench/bench_pst_compare.py --pkg var/prof/pkg-100000 --ref c3a23bc~1

The package is imported once (``import_products_from_1c --full``) into a disposable PostgreSQL
(``DISPOSABLE_PG``, default auto); then, per round and side (the earlier commit checked out as a git
worktree under ``var/bench-pst/<ref>``, and this checkout), one child process: the 1C reading
(``read_onec_cached``: the first reading in the round's first process of each side, the pickle after),
the database read (``variant_values``) and both comparisons (sample 1000), its wall and CPU seconds
and its peak RSS. The children print the comparisons' ``as_dict()``: both sides must give the same.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WORK = REPO / "var" / "bench-pst"


def child(code: Path, pkg: Path, cache: Path, dsn: str) -> None:
    """One side, in its own process: the figures and a digest of what the checks found, as one JSON line."""
    sys.path.insert(0, str(code))
    import psycopg

    from gate.onec.price_types import load_price_types
    from gate.onec.prices import compare_prices, compare_stock, variant_values
    from gate.onec.reading import read_onec_cached

    out: dict[str, object] = {}
    price_map = load_price_types(REPO / "deploy" / "price-types.yml")
    t, c = time.perf_counter(), time.process_time()
    pkg_facts, reading = read_onec_cached(pkg, cache)
    out["reading_s"], out["reading_cpu_s"] = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    with psycopg.connect(dsn) as conn:
        conn.read_only = True
        db = variant_values(conn, price_map.columns)
    out["db_read_s"], out["db_read_cpu_s"] = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    prices = compare_prices(reading, pkg_facts, price_map, db, 1000, 13).as_dict()
    stock = compare_stock(reading, pkg_facts, db, 1000, 13).as_dict()
    out["compare_s"], out["compare_cpu_s"] = time.perf_counter() - t, time.process_time() - c
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["pickle_mb"] = (cache / "onec_reading.pickle").stat().st_size / 1e6
    out["found"] = hashlib.sha256(json.dumps([prices, stock], sort_keys=True, default=str).encode()).hexdigest()[:16]
    out["ok"] = not prices["findings"] and not prices["difference_count"] and not stock["findings"]
    print(json.dumps(out), flush=True)


def run_side(code: Path, pkg: Path, cache: Path, dsn: str) -> dict[str, object]:
    """One child process of one side; its JSON line."""
    proc = subprocess.run([sys.executable, __file__, "--child", str(code), "--pkg", str(pkg), "--cache", str(cache),
                           "--dsn", dsn], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{code}: the child failed:\n{proc.stderr[-2000:]}")
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pkg", type=Path, required=False, help="a generated 1C package (generate_commerceml)")
    parser.add_argument("--ref", default="HEAD~1", help="the earlier commit to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--dsn", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pkg is None or not args.pkg.is_dir():
        parser.error(f"--pkg must be a generated 1C package directory (got {args.pkg})")
    if args.child:
        child(args.child, args.pkg.resolve(), args.cache, args.dsn)
        return 0

    from disposable_pg import disposable_postgres
    from rehearse.backend import BACKEND, manage

    before = WORK / args.ref.replace("/", "_").replace("~", "_")
    if not before.exists():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(before), args.ref], check=True,
                       capture_output=True)
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rows: dict[str, list[dict[str, object]]] = {"before": [], "after": []}
    with disposable_postgres(os.environ.get("DISPOSABLE_PG")) as pg:
        dsn = pg.create_database("bench_pst")
        env = {**os.environ, "SECRET_KEY": "bench", "LOG_DIR": str(WORK / "log"), "PYTHONPATH": f"{BACKEND}:{REPO}",
               "DJANGO_SETTINGS_MODULE": "freesport.settings", "DATABASE_URL": dsn,
               "PRICE_TYPES_FILE": str(REPO / "deploy" / "price-types.yml")}
        manage(env, "migrate", "-v0")
        manage(env, "import_products_from_1c", "--full", "--data-dir", str(args.pkg.resolve()))
        caches = {side: WORK / f"cache-{side}-{os.getpid()}" for side in rows}
        for _ in range(args.rounds):
            for side, code in (("before", before), ("after", REPO)):
                rows[side].append(run_side(code, args.pkg.resolve(), caches[side], dsn))
                print(f"  {side}: {rows[side][-1]}", flush=True)
    load_end = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n| figure | before ({args.ref}) | after (this checkout) | after / before |\n|---|---:|---:|---:|")
    for name in ("reading_s", "reading_cpu_s", "db_read_s", "db_read_cpu_s", "compare_s", "compare_cpu_s",
                 "peak_rss_mb", "pickle_mb"):
        for label, pick in (("first", 0), ("cached", -1)) if name.startswith(("reading", "peak")) else (("", -1),):
            b, a = float(rows["before"][pick][name]), float(rows["after"][pick][name])  # type: ignore[arg-type]
            print(f"| {name} {label} | {b:.2f} | {a:.2f} | {a / b if b else float('nan'):.2f} |")
    same = {r["found"] for r in rows["before"] + rows["after"]}
    print(f"\nsame findings on both sides: {len(same) == 1}; all passed: "
          f"{all(r['ok'] for r in rows['before'] + rows['after'])}; load average {load_start} → {load_end}")
    return 0 if len(same) == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
