"""The curve at 10k / 100k / 1M SKUs: the 1C import and the backup proof, each beside its reference.

For each size, on one disposable PostgreSQL (``DISPOSABLE_PG``, default local):

* import (``bench_import.measure_size``, quick): ``import_products_from_1c --full`` of the generated
  CommerceML package into an empty v13.4 database (seconds, peak PSS of its process tree) against
  a bare ``COPY`` of the same rows (the floor);
* backup proof (``bench_backup_proof.measure``): the gate's backup step, ``pg_restore --list``,
  sha256 and the restore compared with the snapshot, against a raw ``pg_dump`` + ``pg_restore -j``
  in the same format (the one ``BACKUP_FORMAT=auto`` picks for the database's size).

Packages are generated once into ``var/bench-cache/pkg-<SKUs>`` (3.3 GB of XML at 1M) and reused;
``--clean`` deletes them at the end.

Usage: ``.venv/bin/python bench/bench_scale.py [--sizes 10000,100000,1000000] [--only import|backup]
[--repeat 1] [--clean]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import bench_backup_proof  # noqa: E402
import bench_import  # noqa: E402

from disposable_pg import disposable_postgres  # noqa: E402

CACHE = REPO / "var" / "bench-cache"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="SKU counts")
    parser.add_argument("--only", choices=("import", "backup"), default=None)
    parser.add_argument("--repeat", type=int, default=1, help="backup proof rounds per size (medians)")
    parser.add_argument("--clean", action="store_true", help="delete the generated packages at the end")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    CACHE.mkdir(parents=True, exist_ok=True)
    imports, backups = [], []
    with disposable_postgres(os.environ.get("DISPOSABLE_PG", "local")) as pg:
        if args.only != "backup":
            env = bench_import.prepare(pg, CACHE)
            for skus in sizes:
                print(f"== import, {skus} SKUs", flush=True)
                imports.append(bench_import.measure_size(pg, env, CACHE, skus, quick=True))
        if args.only != "import":
            for skus in sizes:
                print(f"== backup proof, {skus} SKUs", flush=True)
                backups.append(bench_backup_proof.measure(pg, skus, repeat=args.repeat, fingerprint=False))
    if imports:
        print("\n| SKUs | XML MB | import s | COPY floor s | import / floor | peak RSS MB (tree) |")
        print("|---:|---:|---:|---:|---:|---:|")
        for r in imports:
            print(f"| {r['skus']:,} | {r['xml_mb']:.0f} | {r['import_s']:.1f} | {r['floor_s']:.1f} | "
                  f"{r['import_s'] / r['floor_s']:.1f}× | {r['rss_mb']:.0f} |")
    if backups:
        print("\n| SKUs | database | format | backup proof s | raw dump + restore s | proof / raw |")
        print("|---:|---:|---|---:|---:|---:|")
        for r in backups:
            print(f"| {r['products']:,} | {r['size']} | {r['format']} -j {r['jobs']} | {r['proof_s']:.1f} | "
                  f"{r['raw_s']:.1f} | {r['proof_s'] / r['raw_s']:.2f} |")
    print(f"\nload average {bench_backup_proof.load_average()} at the end")
    if args.clean:
        for skus in sizes:
            shutil.rmtree(CACHE / f"pkg-{skus}", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
