"""The catalog API at 100k SKUs right after the window: a git ref's backend against this checkout's, alternately.

Each side gets a throw-away target built by its own checkout (``rehearse.scratch``: disposable
PostgreSQL, v13.3 seeded with ``--products`` goods × 3 offers, gunicorn with 2 workers), runs the
bare window on it (``python -m gate.window migrate --confirm`` with ``WINDOW_CHECKS=false``:
migrate, flush, import of a generated 1C package, maintenance off, smoke) and then at once, as
PST-08 does in the smoke's check session: a burst of 120 requests at concurrency 4 round-robin over
``/products/``, ``/categories/`` and the first product's detail; then ``--requests`` sequential
rounds over the same three and a page in the middle of the list. Prints p50/p95 per endpoint, the
ref's and ours and their ratio, the server's CPU per request (gunicorn and PostgreSQL processes),
the planner's row estimate for ``products`` when the measuring starts, whether autovacuum analyzed
``products`` while it ran, and the load average.

    .venv/bin/python bench/bench_api_catalog.py --before d9ded46 [--products 34000] [--rounds 1] [--requests 30]

``--before`` is checked out into a temporary ``git worktree`` (this checkout's ``.venv`` and ``var``
linked in: the interpreter, the bootstrap's tool records, the seed cache; this file copied in to
measure there); without it only this checkout is measured.
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
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BURST_REQUESTS, BURST_CONCURRENCY = 120, 4  # the gate's PST-08 defaults
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def p50_p95(samples_ms: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[94]


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (those gone meanwhile count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def parent_pid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def server_pids(port: int, postmaster: int | None) -> list[int]:
    """gunicorn's processes on ``port`` and the PostgreSQL server's (the postmaster and its children)."""
    bind = f"GUNICORN_BIND=127.0.0.1:{port}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ours = (postmaster is not None and parent_pid(int(entry.name)) == postmaster) \
                or bind in (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # gone, or another user's environment
            continue
        if ours:
            pids.append(int(entry.name))
    return pids + ([postmaster] if postmaster else [])


def measure(env_file: Path, requests_per_endpoint: int) -> dict:
    """The burst and the sequential rounds against the target in ``env_file`` (run inside the side's checkout)."""
    import psycopg
    import requests

    from gate.settings import read_env_file

    values = {k: v for k, (v, _) in read_env_file(env_file).items()}
    base = values["BASE_URL"].rstrip("/") + values.get("API_PREFIX", "/api")
    port = int(values["BASE_URL"].rsplit(":", 1)[1].strip("/"))
    with psycopg.connect(values["DATABASE_URL"], autocommit=True) as conn:
        slug = conn.execute("SELECT slug FROM products WHERE is_active ORDER BY id LIMIT 1").fetchone()[0]
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        postmaster = parent_pid(pid) if Path(f"/proc/{pid}").exists() else None  # a local server, not a container
        stats = "SELECT reltuples, last_autoanalyze FROM pg_class JOIN pg_stat_user_tables USING (relname) " \
                "WHERE relname = 'products'"
        estimate, analyzed_before = conn.execute(stats).fetchone()
        count = requests.get(f"{base}/products/", timeout=30).json()["count"]
        paths = ["/products/", "/categories/", f"/products/{slug}/"]
        middle = f"/products/?page={max(1, count // 20 // 2)}"
        pids = server_pids(port, postmaster)

        def one(path: str) -> tuple[str, int, float]:
            t0 = time.perf_counter()
            status = requests.get(f"{base}{path}", timeout=30).status_code
            return path, status, (time.perf_counter() - t0) * 1000

        cpu0, t0 = cpu_seconds(pids), time.perf_counter()
        with ThreadPoolExecutor(max_workers=BURST_CONCURRENCY) as pool:
            burst = list(pool.map(one, [paths[i % len(paths)] for i in range(BURST_REQUESTS)]))
        burst_s, burst_cpu = time.perf_counter() - t0, cpu_seconds(pids) - cpu0
        cpu0 = cpu_seconds(pids)
        sequential = [one(path) for _ in range(requests_per_endpoint) for path in [*paths, middle]]
        seq_cpu = cpu_seconds(pids) - cpu0
        analyzed_after = conn.execute(stats).fetchone()[1]
    names = {"/products/": "list", "/categories/": "categories", f"/products/{slug}/": "detail", middle: "list, middle page"}
    rows = {}
    for phase, samples in (("burst", burst), ("sequential", sequential)):
        for path, name in names.items():
            ms = [s[2] for s in samples if s[0] == path]
            if len(ms) > 1:
                rows[f"{phase} {name}"] = p50_p95(ms)
        rows[f"{phase} all"] = p50_p95([s[2] for s in samples])
    errors = sum(1 for s in burst + sequential if s[1] != 200)
    return {"rows": rows, "errors": errors, "burst_s": burst_s, "count": count, "middle": middle,
            "cpu_ms_per_request": {"burst": burst_cpu * 1000 / len(burst), "sequential": seq_cpu * 1000 / len(sequential)},
            "products_estimate": estimate, "autoanalyze_during": analyzed_after != analyzed_before}


def measure_side(products: int, requests_per_endpoint: int) -> dict:
    """A scratch target of this checkout, the bare window on it, then ``measure`` (``--measure``)."""
    from rehearse.backend import PYTHON
    from rehearse.scratch import scratch_target

    with tempfile.TemporaryDirectory(prefix="bench-api-catalog-") as tmp, \
            scratch_target(Path(tmp), products=products, pg_choice=os.environ.get("DISPOSABLE_PG", "local")) as env_file:
        env = {**os.environ, "ENV_FILE": str(env_file), "GATE_LIVE": "0", "PYTHONPATH": str(REPO),
               "WINDOW_CHECKS": "false"}
        env.pop("RUN_DIR", None)
        t0 = time.perf_counter()
        window = subprocess.run([PYTHON, "-m", "gate.window", "migrate", "--confirm"], cwd=REPO, env=env,
                                capture_output=True, text=True)
        if window.returncode != 0:
            raise SystemExit(f"the window failed ({window.returncode}):\n{window.stdout[-3000:]}\n{window.stderr[-2000:]}")
        result = measure(env_file, requests_per_endpoint)
        result["window_s"] = time.perf_counter() - t0
    return result


def run_side(tree: Path, products: int, requests_per_endpoint: int) -> dict:
    """``--measure`` in ``tree``'s checkout, in a child process; its last output line is the result."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run([str(tree / ".venv" / "bin" / "python"), str(tree / "bench" / Path(__file__).name),
                           "--measure", "--products", str(products), "--requests", str(requests_per_endpoint)],
                          cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"measuring {tree} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="git ref of the code to compare with (default: none, this checkout only)")
    parser.add_argument("--products", type=int, default=34000, help="goods (× 3 offers: 34000 ≈ 100k SKUs)")
    parser.add_argument("--rounds", type=int, default=1, help="before/ours pairs, alternating")
    parser.add_argument("--requests", type=int, default=30, help="sequential requests per endpoint")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_side(args.products, args.requests)))
        return 0
    trees = {"ours": REPO}
    worktree = None
    if args.before:
        worktree = Path(tempfile.mkdtemp(prefix="bench-api-before-")) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(worktree), args.before], check=True,
                       capture_output=True)
        shutil.copy(__file__, worktree / "bench" / Path(__file__).name)
        for shared in (".venv", "var"):  # the interpreter, the bootstrap's tool records, the seed cache
            (worktree / shared).symlink_to(REPO / shared)
        trees = {"before": worktree, "ours": REPO}
    print(f"load average before: {load_average()}  ({time.strftime('%Y-%m-%d %H:%M:%S %Z')})", flush=True)
    results: dict[str, list[dict]] = {side: [] for side in trees}
    try:
        for n in range(args.rounds):
            for side, tree in trees.items():
                result = run_side(tree, args.products, args.requests)
                results[side].append(result)
                print(f"round {n + 1} {side}: window {result['window_s']:.1f} s, burst {result['burst_s']:.2f} s, "
                      f"products estimate {result['products_estimate']:.0f} of {result['count']} active, "
                      f"autoanalyze during: {result['autoanalyze_during']}, errors {result['errors']}, "
                      f"load {load_average()}", flush=True)
    finally:
        if worktree is not None:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(worktree)], check=False)
    sides = list(trees)
    keys = list(results["ours"][0]["rows"])
    print(f"\n{args.products} goods, medians of {args.rounds} round(s); milliseconds; middle page "
          f"{results['ours'][0]['middle']}")
    header = " | ".join(f"{side} p50 | {side} p95" for side in sides)
    ratio = " | ours/before p50 | ours/before p95" if len(sides) == 2 else ""
    print(f"| endpoint | {header}{ratio} |")
    print("|---|" + "---:|" * (2 * len(sides) + (2 if ratio else 0)))
    for key in keys:
        med = {side: [statistics.median(r["rows"][key][i] for r in results[side]) for i in (0, 1)] for side in sides}
        cells = " | ".join(f"{med[side][0]:.1f} | {med[side][1]:.1f}" for side in sides)
        if ratio:
            cells += f" | {med['ours'][0] / med['before'][0]:.2f} | {med['ours'][1] / med['before'][1]:.2f}"
        print(f"| {key} | {cells} |")
    for phase in ("burst", "sequential"):
        cpu = {side: statistics.median(r["cpu_ms_per_request"][phase] for r in results[side]) for side in sides}
        line = ", ".join(f"{side} {cpu[side]:.1f}" for side in sides)
        extra = f" (ours/before {cpu['ours'] / cpu['before']:.2f})" if len(sides) == 2 and cpu["before"] else ""
        print(f"server CPU per request, {phase} (gunicorn + PostgreSQL, ms): {line}{extra}")
    print(f"load average after: {load_average()}  ({time.strftime('%H:%M:%S')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
