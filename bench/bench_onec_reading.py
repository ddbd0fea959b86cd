"""The run's reading of a 1C package: a git ref's gate (two passes, two JSON caches) against the
working tree's (one pass, one pickle), alternating, in one run.

Each side runs in its own process per step, like check sessions do: ``first`` = the first session
of a run (reads the XML, writes the cache), ``later`` = every later session (loads the cache). It
prints wall and CPU seconds (user + sys of the process) per step, the cache's size, the ratio
(after / before) and ``uptime``'s load average before and after.

Usage: ``.venv/bin/python bench/bench_onec_reading.py PACKAGE_DIR [--base e98c07b] [--rounds 1]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_BEFORE = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from gate.onec.package import read_package_cached
from gate.onec.prices import read_prices_cached
root, run = Path(sys.argv[2]), Path(sys.argv[3])
t = time.perf_counter()
pkg = read_package_cached(root, run)
reading = read_prices_cached(root, run)
u = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": time.perf_counter() - t, "cpu": u.ru_utime + u.ru_stime, "maxrss_mb": u.ru_maxrss / 1024,
                  "products": len(pkg.products), "prices": len(reading.prices)}))
"""
_AFTER = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from gate.onec.reading import read_onec_cached
root, run = Path(sys.argv[2]), Path(sys.argv[3])
t = time.perf_counter()
pkg, reading = read_onec_cached(root, run)
u = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": time.perf_counter() - t, "cpu": u.ru_utime + u.ru_stime, "maxrss_mb": u.ru_maxrss / 1024,
                  "products": len(pkg.products), "prices": len(reading.prices)}))
"""


def _load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.split("load average:")[-1].strip()


def _step(code: str, tree: Path, package: Path, run: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, str(tree), str(package), str(run)], check=True,
                         capture_output=True, text=True, cwd=tree).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("package", type=Path)
    ap.add_argument("--base", default="e98c07b", help="the git ref of the gate before (default e98c07b)")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    print(f"load average at start: {_load()}")
    with tempfile.TemporaryDirectory(prefix="bench-onec-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base], cwd=REPO, check=True,
                       capture_output=True)
        try:
            results: dict[str, dict[str, list[float]]] = {}
            sizes: dict[str, int] = {}
            for n in range(args.rounds):
                for side, code, tree in (("before", _BEFORE, base), ("after", _AFTER, REPO)):
                    run = Path(tmp) / f"run-{side}-{n}"
                    for step in ("first", "later"):
                        got = _step(code, tree, args.package.resolve(), run)
                        row = results.setdefault(f"{side} {step}", {})
                        for k, v in got.items():
                            row.setdefault(k, []).append(v)
                        print(f"round {n + 1} {side:6} {step:5}: wall {got['wall']:7.1f} s  cpu {got['cpu']:7.1f} s  "
                              f"peak {got['maxrss_mb']:6.0f} MB  (products {got['products']:.0f}, "
                              f"priced {got['prices']:.0f})", flush=True)
                    sizes[side] = sum(p.stat().st_size for p in run.iterdir() if p.suffix in (".json", ".pickle"))
                    shutil.rmtree(run)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=REPO, check=False)
    med = {k: {m: statistics.median(v) for m, v in row.items()} for k, row in results.items()}
    for step in ("first", "later"):
        b, a = med[f"before {step}"], med[f"after {step}"]
        print(f"{step:5} session: wall {b['wall']:.1f} -> {a['wall']:.1f} s ({a['wall'] / b['wall']:.2f}x), "
              f"cpu {b['cpu']:.1f} -> {a['cpu']:.1f} s ({a['cpu'] / b['cpu']:.2f}x), "
              f"peak {b['maxrss_mb']:.0f} -> {a['maxrss_mb']:.0f} MB")
    print(f"cache: {sizes['before'] / 1e6:.1f} MB of JSON -> {sizes['after'] / 1e6:.1f} MB of pickle")
    print(f"load average at end: {_load()}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
