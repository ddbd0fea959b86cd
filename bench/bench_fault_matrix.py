"""``make fault-matrix`` end to end: every fault at once (``--jobs``), its wall time against the one-after-another sum.

    .venv/bin/python bench/bench_fault_matrix.py                   # all faults, 4 at a time
    .venv/bin/python bench/bench_fault_matrix.py --jobs 6 --only migration-fails,slow-api

One real ``python -m rehearse matrix`` (a subprocess, as make runs it), each fault on its own
disposable server. Printed: each fault's verdict and seconds (from its row), the matrix's wall
time, the sum of the faults' own times (what running them one after another costs at the same
load), the ratios wall / sum and wall / target (issue 16 item 4: all faults ≤ 3 min), and the load
average before and after. Results also go to ``var/bench/fault_matrix.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 180.0


def _cell(phase: list[float | None] | None) -> str:
    """``wall/CPU`` of one phase (``-`` when the fault had no such phase)."""
    if not phase:
        return "-"
    wall, cpu = phase
    return f"{wall:.1f}/{'?' if cpu is None else f'{cpu:.1f}'}"


def main() -> int:
    """Run the matrix and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-matrix-") as tmp:
        env = {**os.environ, "RUNS_ROOT": f"{tmp}/runs", "REHEARSAL_WORK_DIR": f"{tmp}/work", "GATE_LIVE": "0"}
        for key in ("DATABASE_URL", "BASE_URL", "RUN_DIR", "ENV_FILE"):
            env.pop(key, None)
        argv = [sys.executable, "-m", "rehearse", "matrix", "--jobs", str(args.jobs)]
        if args.only:
            argv += ["--only", args.only]
        t0 = time.monotonic()
        proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - t0
        rows = [json.loads(p.read_text()) for p in sorted(Path(tmp, "work").glob("matrix-*/*.json"))]
        for row in rows:  # each phase's wall and CPU, from the fault's rehearsal.json (the runs go with tmp)
            record = Path(tmp, "runs", Path(row["run_dir"]).name, "rehearsal.json") if row.get("run_dir") else None
            phases = json.loads(record.read_text()).get("phases", []) if record and record.is_file() else []
            row["phases"] = {p["name"]: [p["duration_s"], p.get("cpu_s")] for p in phases}
    after = os.getloadavg()
    if not rows:
        sys.stdout.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        return 1
    total = sum(float(r["seconds"]) for r in rows)
    cpu = sum(float(r.get("cpu_s") or 0) for r in rows)
    lines = [f"{'fault':<28}{'expected':>10}{'verdict':>10}{'s':>8}{'CPU s':>8}  ok"]
    lines += [f"{r['fault']:<28}{r['expected']:>10}{r['verdict']:>10}{float(r['seconds']):>8.1f}"
              f"{float(r.get('cpu_s') or 0):>8.1f}  {'yes' if r['ok'] else 'NO'}" for r in rows]
    lines += [
        f"faults: {len(rows)}, {args.jobs} at a time, exit {proc.returncode}",
        f"matrix wall: {wall:.1f} s; one after another (sum of the faults' own times): {total:.1f} s; "
        f"ratio wall / sum {wall / total:.2f}",
        f"CPU of the faults' rehearsals (and the children they waited for): {cpu:.1f} s",
        f"target: {TARGET_S:.0f} s; ratio wall / target {wall / TARGET_S:.2f}",
        f"load average before {' '.join(f'{x:.2f}' for x in before)}, after {' '.join(f'{x:.2f}' for x in after)}",
    ]
    names = list(dict.fromkeys(n for r in rows for n in r["phases"]))
    lines += ["", "phases, wall / CPU s (CPU: the rehearsal and the children it waited for)",
              f"{'fault':<26}" + "".join(f"{n[:13]:>14}" for n in names)]
    lines += [f"{r['fault']:<26}" + "".join(
        f"{_cell(r['phases'].get(n)):>14}" for n in names) for r in rows]
    sys.stdout.write("\n".join(lines) + "\n")
    out = REPO / "var" / "bench" / "fault_matrix.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"jobs": args.jobs, "wall_s": round(wall, 1), "sum_s": round(total, 1),
                               "load_before": before, "load_after": after, "rows": rows}, indent=2))
    return 0 if proc.returncode == 0 and wall <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
