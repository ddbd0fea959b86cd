"""The gate's overhead over the bare steps: the same window with checks off versus on.

Each round gets a fresh throw-away v13.3 target (``rehearse.scratch``: disposable PostgreSQL,
``seed_legacy_catalog``, gunicorn) and runs ``python -m gate.window migrate --confirm`` once with
``WINDOW_CHECKS=false`` (bare steps; the backup's BKP-01..04 still run: the flush guard needs them)
and once with every check. With ``--postflight-products N`` it also times ``make postflight`` (all
PST checks, pytest-xdist) on an N-product catalog (default K=3 offers each: 100000 ≈ 100k+ SKUs).

    .venv/bin/python bench/bench_window_overhead.py [--products 200] [--rounds 3] [--postflight-products 34000]

It prints both times, their ratio, the load average, the step durations and what each check session
took (``RUN_DIR/checks/sessions.jsonl``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gate.settings import read_env_file  # noqa: E402
from rehearse.backend import PYTHON as PY  # noqa: E402
from rehearse.scratch import scratch_target  # noqa: E402


def load_average() -> str:
    """``uptime``'s three load averages (1, 5, 15 min)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def sessions_of(env_file: Path) -> list[dict]:
    """The check sessions of the latest run (``RUN_DIR/checks/sessions.jsonl``: label, duration, exit)."""
    values = {k: v for k, (v, _) in read_env_file(env_file).items()}
    path = Path(values["RUNS_ROOT"]) / "latest" / "checks" / "sessions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def run_window(env_file: Path, checks: bool) -> tuple[float, dict, float]:
    env = {**os.environ, "ENV_FILE": str(env_file), "GATE_LIVE": "0", "PYTHONPATH": str(REPO),
           "WINDOW_CHECKS": "true" if checks else "false"}
    env.pop("RUN_DIR", None)
    t0, cpu0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([PY, "-m", "gate.window", "migrate", "--confirm"], cwd=REPO, env=env,
                          capture_output=True, text=True)
    took, cpu1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    values = {k: v for k, (v, _) in read_env_file(env_file).items()}
    summary = json.loads((Path(values["RUNS_ROOT"]) / "latest" / "summary.json").read_text())
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-2000:])
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)  # the window's process tree
    return took, summary, cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=None, help="catalog size (default: the committed sample)")
    parser.add_argument("--postflight-products", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=1,
                        help="off/on pairs, alternating (a machine shared with other work: take the median)")
    args = parser.parse_args()
    print(f"load average before: {load_average()}", flush=True)
    results: dict[bool, list[tuple[float, str, dict, int, float]]] = {False: [], True: []}
    sessions: list[dict] = []
    for _ in range(args.rounds):
        for checks in (False, True):
            with tempfile.TemporaryDirectory(prefix="bench-window-") as tmp, \
                    scratch_target(Path(tmp), products=args.products,
                                   pg_choice=os.environ.get("DISPOSABLE_PG", "local")) as env_file:
                took, summary, cpu = run_window(env_file, checks)
                steps = {s["name"]: s["duration_s"] for s in summary["steps"]}
                results[checks].append((took, summary["verdict"], steps, len(summary["checks"]), cpu))
                if checks:
                    sessions = sessions_of(env_file)
                print(f"checks {'on ' if checks else 'off'}: {took:6.1f}s  verdict {summary['verdict']}  "
                      f"{len(summary['checks'])} checks  steps {sum(steps.values()):.1f}s  cpu {cpu:.1f}s  "
                      f"load {load_average()}", flush=True)
    off = statistics.median(r[0] for r in results[False])
    on = statistics.median(r[0] for r in results[True])
    print(f"\nwindow, bare steps (+BKP): {off:.1f}s; with every check: {on:.1f}s; "
          f"overhead {on - off:.1f}s ({on / off:.2f}x){' (medians)' if args.rounds > 1 else ''}; "
          f"load average after: {load_average()}")
    cpu_off = statistics.median(r[4] for r in results[False])
    cpu_on = statistics.median(r[4] for r in results[True])
    print(f"CPU time of the window's processes (user+sys, less sensitive to load): bare {cpu_off:.1f}s; "
          f"checked {cpu_on:.1f}s ({cpu_on / cpu_off:.2f}x)")
    print("step durations, medians (bare | checks on: a step beside a check session shares the 2 cores):")
    for name in results[True][-1][2]:
        bare = statistics.median(r[2].get(name, 0.0) for r in results[False])
        checked = statistics.median(r[2].get(name, 0.0) for r in results[True])
        print(f"  {name:<16} {bare:7.2f}s | {checked:7.2f}s  {checked - bare:+6.2f}s")
    print(f"check sessions (last round): {len(sessions)}, {sum(s['duration_s'] for s in sessions):.1f}s")
    for s in sessions:
        print(f"  {s['label']:<36} {s['duration_s']:6.2f}s  {','.join(s['ids'])[:60]}")
    if args.postflight_products:
        with tempfile.TemporaryDirectory(prefix="bench-postflight-") as tmp, \
                scratch_target(Path(tmp), products=args.postflight_products,
                               pg_choice=os.environ.get("DISPOSABLE_PG", "local")) as env_file:
            took, summary, _ = run_window(env_file, checks=False)
            values = {k: v for k, (v, _) in read_env_file(env_file).items()}
            run_dir = Path(values["RUNS_ROOT"]) / "latest"
            ids = "PST-01,PST-02,PST-03,PST-04,PST-05,PST-06,PST-07,PST-08,PST-09,PST-10"
            env = {**os.environ, "ENV_FILE": str(env_file), "GATE_LIVE": "0", "RUN_DIR": str(run_dir.resolve()),
                   "PYTHONPATH": str(REPO)}
            t0 = time.perf_counter()
            proc = subprocess.run([PY, "-m", "gate.window", "checks", ids, "--xdist"], cwd=REPO, env=env,
                                  capture_output=True, text=True)
            postflight = time.perf_counter() - t0
            rows = {r["id"]: r for r in json.loads((run_dir / "summary.json").read_text())["checks"]}
            failed = [i for i in ids.split(",") if rows.get(i, {}).get("outcome") != "passed"]
            print(f"\npostflight on {args.postflight_products} products "
                  f"({rows.get('PST-02', {}).get('message', '')}): {postflight:.1f}s (target < 60 s), "
                  f"exit {proc.returncode}, not passed: {failed or 'none'}; bare window {took:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
