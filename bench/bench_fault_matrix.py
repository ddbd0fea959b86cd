"""``make fault-matrix`` end to end: every fault at once (``--jobs``), its wall time against the one-after-another sum.

    .venv/bin/python bench/bench_fault_matrix.py                   # all faults, 4 at a time
    .venv/bin/python bench/bench_fault_matrix.py --jobs 6 --only migration-fails,slow-api
    .venv/bin/python bench/bench_fault_matrix.py --only A,B --before ../before   # before / after in one run

One real ``python -m rehearse matrix`` (a subprocess, as make runs it). Printed: each fault's verdict
and seconds (from its row), the matrix's wall time, the sum of the faults' own times (what running
them one after another costs at the same load), the ratios wall / sum and wall / target (issue 16
item 4: all faults ≤ 3 min), and the load average before and after. The bench makes itself the
child subreaper of everything the matrix starts, so the disposable servers and gunicorns (which
leave their starters) are reaped here too: "CPU, everything" counts them, the rows do not
(``--pg local``, the default: a container's server runs under the engine, outside this count).
``--before DIR``: the same matrix from another checkout (a ``git worktree`` of the commit before;
its ``.venv`` and ``var`` may be symlinks to this one's), before and after alternately
(``--rounds``), and the ratios after / before. Results also go to ``var/bench/fault_matrix.json``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 180.0
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Orphaned descendants (a postmaster, a gunicorn) are re-parented to this process, so their CPU is counted here."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_orphans(deadline_s: float = 30.0) -> int:
    """Wait for every re-parented descendant still exiting (their CPU joins RUSAGE_CHILDREN); how many were left."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return 0
        if pid == 0:
            time.sleep(0.1)
    try:
        return len([p for p in Path("/proc").iterdir() if p.name.isdigit()
                    and (p / "stat").read_text().split(") ")[1].split()[1] == str(os.getpid())])
    except OSError:
        return -1


def children_cpu() -> float:
    """User + system CPU of every process this one has reaped."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cell(phase: list[float | None] | None) -> str:
    """``wall/CPU`` of one phase (``-`` when the fault had no such phase)."""
    if not phase:
        return "-"
    wall, cpu = phase
    return f"{wall:.1f}/{'?' if cpu is None else f'{cpu:.1f}'}"


def run_matrix(repo: Path, jobs: int, only: str, pg: str) -> dict[str, Any]:
    """One ``python -m rehearse matrix`` from checkout ``repo``: wall, CPU (everything it started), rows, load."""
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-matrix-") as tmp:
        env = {**os.environ, "RUNS_ROOT": f"{tmp}/runs", "REHEARSAL_WORK_DIR": f"{tmp}/work", "GATE_LIVE": "0",
               "DISPOSABLE_PG": pg}
        for key in ("DATABASE_URL", "BASE_URL", "RUN_DIR", "ENV_FILE", "PYTHONPATH"):
            env.pop(key, None)
        argv = [sys.executable, "-m", "rehearse", "matrix", "--jobs", str(jobs)]
        if only:
            argv += ["--only", only]
        cpu0, t0 = children_cpu(), time.monotonic()
        proc = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - t0
        left = reap_orphans()
        cpu = children_cpu() - cpu0
        rows = [json.loads(p.read_text()) for p in sorted(Path(tmp, "work").glob("matrix-*/*.json"))]
        for row in rows:  # each phase's wall and CPU, from the fault's rehearsal.json (the runs go with tmp)
            record = Path(tmp, "runs", Path(row["run_dir"]).name, "rehearsal.json") if row.get("run_dir") else None
            phases = json.loads(record.read_text()).get("phases", []) if record and record.is_file() else []
            row["phases"] = {p["name"]: [p["duration_s"], p.get("cpu_s")] for p in phases}
    return {"repo": str(repo), "wall_s": round(wall, 1), "cpu_all_s": round(cpu, 1), "exit": proc.returncode,
            "orphans_left": left, "rows": rows, "load_before": load_before, "load_after": os.getloadavg(),
            "tail": (proc.stdout[-3000:] + proc.stderr[-3000:]) if not rows else ""}


def _load(x: tuple[float, float, float] | list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in x)


def describe(side: dict[str, Any], jobs: int) -> list[str]:
    """The table of one matrix run."""
    rows = side["rows"]
    total = sum(float(r["seconds"]) for r in rows)
    cpu = sum(float(r.get("cpu_s") or 0) for r in rows)
    wall = side["wall_s"]
    lines = [f"== {side['repo']}", f"{'fault':<28}{'expected':>10}{'verdict':>10}{'s':>8}{'CPU s':>8}  ok"]
    lines += [f"{r['fault']:<28}{r['expected']:>10}{r['verdict']:>10}{float(r['seconds']):>8.1f}"
              f"{float(r.get('cpu_s') or 0):>8.1f}  {'yes' if r['ok'] else 'NO'}" for r in rows]
    lines += [
        f"faults: {len(rows)}, {jobs} at a time, exit {side['exit']}",
        f"matrix wall: {wall:.1f} s; one after another (sum of the faults' own times): {total:.1f} s; "
        f"ratio wall / sum {wall / total:.2f}" if total else f"matrix wall: {wall:.1f} s",
        f"CPU of the faults' rehearsals (and the children they waited for): {cpu:.1f} s",
        f"CPU, everything the matrix started (servers, gunicorns, proxies included): {side['cpu_all_s']:.1f} s"
        + (f" ({side['orphans_left']} processes still running after 30 s, not counted)" if side["orphans_left"] else ""),
        f"target: {TARGET_S:.0f} s; ratio wall / target {wall / TARGET_S:.2f}",
        f"load average before {_load(side['load_before'])}, after {_load(side['load_after'])}",
    ]
    names = list(dict.fromkeys(n for r in rows for n in r["phases"]))
    lines += ["", "phases, wall / CPU s (CPU: the rehearsal and the children it waited for)",
              f"{'fault':<26}" + "".join(f"{n[:13]:>14}" for n in names)]
    lines += [f"{r['fault']:<26}" + "".join(f"{_cell(r['phases'].get(n)):>14}" for n in names) for r in rows]
    return [*lines, ""]


def main() -> int:
    """Run the matrix (before and after alternately with ``--before``) and print the tables and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--only", default="")
    parser.add_argument("--pg", default=os.environ.get("DISPOSABLE_PG") or "local",
                        help="DISPOSABLE_PG of both sides (local: the servers' CPU is counted)")
    parser.add_argument("--before", type=Path, help="another checkout to run the same matrix from, alternately")
    parser.add_argument("--rounds", type=int, default=1, help="with --before: before/after pairs (order alternates)")
    args = parser.parse_args()
    if args.before is not None and not (args.before / "rehearse" / "__main__.py").is_file():
        parser.error(f"--before {args.before}: not a checkout of this repository (no rehearse/__main__.py)")
    if not become_subreaper():
        sys.stderr.write("could not become the child subreaper: the servers' CPU is not counted\n")
    sides: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    for n in range(args.rounds if args.before else 1):
        order = ["after"] if args.before is None else (["before", "after"] if n % 2 == 0 else ["after", "before"])
        for name in order:
            side = run_matrix(args.before if name == "before" else REPO, args.jobs, args.only, args.pg)
            sides[name].append(side)
            sys.stdout.write(f"[{name}, round {n + 1}]\n" + "\n".join(describe(side, args.jobs)) + "\n")
            sys.stdout.flush()
            if not side["rows"]:
                sys.stdout.write(side["tail"])
                return 1
    if args.before is not None:
        def total(name: str, key: str) -> float:
            return sum(float(s[key]) for s in sides[name])

        rows_cpu = {k: sum(float(r.get("cpu_s") or 0) for s in v for r in s["rows"]) for k, v in sides.items()}
        sys.stdout.write(
            f"after / before, {args.rounds} round(s), {args.pg} servers, {args.jobs} at a time: "
            f"wall {total('after', 'wall_s'):.1f} / {total('before', 'wall_s'):.1f} s = "
            f"{total('after', 'wall_s') / total('before', 'wall_s'):.2f}; "
            f"CPU everything {total('after', 'cpu_all_s'):.1f} / {total('before', 'cpu_all_s'):.1f} s = "
            f"{total('after', 'cpu_all_s') / total('before', 'cpu_all_s'):.2f}; "
            f"CPU rows {rows_cpu['after']:.1f} / {rows_cpu['before']:.1f} s = "
            f"{rows_cpu['after'] / max(rows_cpu['before'], 0.1):.2f}\n")
    out = REPO / "var" / "bench" / "fault_matrix.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"jobs": args.jobs, "pg": args.pg, **sides}, indent=2))
    last = sides["after"][-1]
    ok = all(s["exit"] == 0 for v in sides.values() for s in v)
    return 0 if ok and last["wall_s"] <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
