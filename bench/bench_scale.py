"""The curve at 10k / 100k / 1M SKUs: import, backup proof and one rehearsal per size, each beside its reference.

For each size, on one disposable PostgreSQL (``DISPOSABLE_PG``, default local):

* import (``bench_import.measure_size``, quick): ``import_products_from_1c --full`` of the generated
  CommerceML package into an empty v13.4 database (seconds, peak PSS of its process tree) against
  a bare ``COPY`` of the same rows (the floor);
* backup proof (``bench_backup_proof.measure``): the gate's backup step, ``pg_restore --list``,
  sha256 and the restore compared with the snapshot, against a raw ``pg_dump`` + ``pg_restore -j``
  in the same format (the one ``BACKUP_FORMAT=auto`` picks for the database's size).

* rehearsal (``scale_rehearsal.py``): one real ``python -m rehearse`` with that many SKUs (runs kept
  under ``var/bench-scale/<SKUs>/``); from its run's journal, check sessions and summary: migrate,
  flush dry run, flush, import (each against the runbook's budget for it), backup proof, postflight
  (against 60 s), the window, the rollback and the rehearsal's wall (against 15 min), with the load
  average at the start and end of each size. ``--run-dir DIR`` reads a finished run instead.

Packages are generated once into ``var/bench-cache/pkg-<SKUs>`` (3.3 GB of XML at 1M) and reused;
``--clean`` deletes them at the end.

Usage: ``.venv/bin/python bench/bench_scale.py [--sizes 10000,100000,1000000]
[--only import|backup|rehearsal] [--repeat 1] [--clean] [--run-dir DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import bench_backup_proof  # noqa: E402
import bench_import  # noqa: E402
import scale_rehearsal  # noqa: E402

from disposable_pg import disposable_postgres  # noqa: E402

CACHE = REPO / "var" / "bench-cache"
RUNS = REPO / "var" / "bench-scale"


def rehearsals(sizes: list[int]) -> list[tuple[int, dict[str, object], str, str]]:
    """One real rehearsal per size; its curve and the load average at its start and end."""
    rows = []
    for skus in sizes:
        start = scale_rehearsal.load_average()
        print(f"== rehearsal, {skus} SKUs (load average {start})", flush=True)
        run_dir, wall, code, tail = scale_rehearsal.rehearse_size(skus, RUNS)
        curve = scale_rehearsal.curve_of(run_dir, wall)
        end = scale_rehearsal.load_average()
        print(f"   {wall:.1f} s, exit {code}, verdict {curve['verdict']} (load average {end}); run {run_dir}",
              flush=True)
        if code != 0 or curve["verdict"] != "GO":
            print(f"   failed checks: {', '.join(curve['failed']) or 'none'}\n{tail}", flush=True)  # type: ignore[arg-type]
        rows.append((skus, curve, start, end))
    return rows


def measure(pg: object, sizes: list[int], only: str | None, repeat: int) -> tuple[list[dict], list[dict]]:
    """Import and backup proof per size on one disposable server (``only``: one of the two)."""
    imports, backups = [], []
    if only != "backup":
        env = bench_import.prepare(pg, CACHE)
        for skus in sizes:
            print(f"== import, {skus} SKUs", flush=True)
            imports.append(bench_import.measure_size(pg, env, CACHE, skus, quick=True))
    if only != "import":
        for skus in sizes:
            print(f"== backup proof, {skus} SKUs", flush=True)
            backups.append(bench_backup_proof.measure(pg, skus, repeat=repeat, fingerprint=False))
    return imports, backups


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="SKU counts")
    parser.add_argument("--only", choices=("import", "backup", "rehearsal"), default=None)
    parser.add_argument("--repeat", type=int, default=1, help="backup proof rounds per size (medians)")
    parser.add_argument("--clean", action="store_true", help="delete the generated packages at the end")
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="print the rehearsal figures of this finished run directory and stop")
    args = parser.parse_args()
    if args.run_dir:
        curve = scale_rehearsal.curve_of(args.run_dir)
        data = curve["data"] or {}
        skus = int(data.get("products", 0)) * int(data.get("variants_per_product", 0))  # type: ignore[union-attr]
        print(scale_rehearsal.table([(skus, curve, "?", scale_rehearsal.load_average())]))
        return 0 if curve["verdict"] == "GO" else 1
    sizes = [int(s) for s in args.sizes.split(",")]
    CACHE.mkdir(parents=True, exist_ok=True)
    imports, backups = [], []
    if args.only in (None, "import", "backup"):
        with disposable_postgres(os.environ.get("DISPOSABLE_PG", "local")) as pg:
            imports, backups = measure(pg, sizes, args.only, args.repeat)
    curves = rehearsals(sizes) if args.only in (None, "rehearsal") else []
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
    if curves:
        print("\n" + scale_rehearsal.table(curves))
        out = RUNS / "curve.json"
        out.write_text(json.dumps([{**c, "skus": skus, "load": [start, end],
                                    "figures": [{**vars(f), "ratio": f.ratio} for f in c["figures"]]}  # type: ignore[attr-defined]
                                   for skus, c, start, end in curves], indent=1, default=str))
    print(f"\nload average {bench_backup_proof.load_average()} at the end")
    if args.clean:
        for skus in sizes:
            shutil.rmtree(CACHE / f"pkg-{skus}", ignore_errors=True)
    return 0 if all(c["verdict"] == "GO" for _, c, _, _ in curves) else 1


if __name__ == "__main__":
    sys.exit(main())
