"""``make rehearsal`` end to end on the default data and on 100k SKUs, side by side with the runbook's timetable.

    .venv/bin/python bench/bench_rehearsal.py                 # default data, then 100k SKUs
    .venv/bin/python bench/bench_rehearsal.py --only default  # one size
    .venv/bin/python bench/bench_rehearsal.py --skus 50000
    .venv/bin/python bench/bench_rehearsal.py --only default --cold  # without, then with the seed cache
    .venv/bin/python bench/bench_rehearsal.py --before ../c-before --rounds 2  # before/after, alternating

``--before DIR`` runs the default rehearsal of another checkout (a ``git worktree`` of the commit to
compare with, its ``.venv`` and ``var/cache`` in place) and of this one alternately, ``--rounds`` times
each, in one run: the table has both sides' medians per phase, the ratio after / before of the wall
time and of the CPU seconds (the rehearsal and the children it waited for), and the load average.

Each size is one real ``python -m rehearse`` (a subprocess, as make runs it); the figures
come from its run record: the rehearsal's phases (``rehearsal.json``) and the window's steps
(``summary.json`` ``steps[]``, the same journal the sign-off charts). The runbook budgets the
window at 1 h 45 (its timetable, per step) and the rollback at 15 min. Targets: default data
under 30 s with the engine, image and venv there (issue 16), 100k SKUs under 6 min on a 2-core
machine; the ratio wall / target is printed with the load average before and after. Results also go to
``var/bench/rehearsal.json``.
"""

from __future__ import annotations

import argparse
import json
import math
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

from gate.checks import ROLLBACK_BUDGET_S, STEP_BUDGETS_S  # noqa: E402
from rehearse.backend import sample_parameters  # noqa: E402

TARGETS_S = {"default": 30.0, "default-cold": 30.0, "100k": 360.0, "before": 30.0, "after": 30.0}
"""Issue 16 item 3: the default rehearsal in 30 s with the engine, image and venv there (earlier: 180 s)."""
WINDOW_BUDGET_S = 105 * 60
STEP_ORDER = ("backup", "maintenance_on", "deploy", "migrate", "pre_import", "flush_dry_run", "flush", "import",
              "maintenance_off", "smoke", "rollback")


def children_cpu() -> float:
    """User + system CPU seconds of the children waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rehearse(label: str, extra_env: dict[str, str], root: Path, repo: Path = REPO) -> dict[str, object]:
    """One rehearsal (of the checkout ``repo``); its wall and CPU time, phases, steps and verdict."""
    env = {**os.environ, **extra_env, "RUNS_ROOT": str(root / label / "runs"),
           "REHEARSAL_WORK_DIR": str(root / label / "work"), "GATE_LIVE": "0"}
    for key in ("DATABASE_URL", "BASE_URL", "RUN_DIR", "ENV_FILE"):
        env.pop(key, None)
    t0, cpu0 = time.monotonic(), children_cpu()
    proc = subprocess.run([sys.executable, "-m", "rehearse"], cwd=repo, env=env, capture_output=True,
                          text=True, check=False)
    wall, cpu = time.monotonic() - t0, children_cpu() - cpu0
    runs = sorted((root / label / "runs").glob("*-rehearsal"))
    if not runs:
        raise SystemExit(f"{label}: no run directory; output:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    record = json.loads((runs[-1] / "rehearsal.json").read_text())
    summary = json.loads((runs[-1] / "summary.json").read_text())
    steps = {s["name"]: float(s.get("duration_s") or 0) for s in summary.get("steps", [])}
    return {"label": label, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "exit": proc.returncode, "verdict": summary.get("verdict"),
            "data": record.get("data"), "phases": {p["name"]: p["duration_s"] for p in record.get("phases", [])},
            "steps": steps, "run_dir": str(runs[-1])}


def table(results: list[dict[str, object]]) -> str:
    """The figures side by side with the runbook's budgets."""
    labels = [str(r["label"]) for r in results]
    head = f"{'':<24}{'runbook':>10}" + "".join(f"{label:>12}" for label in labels)
    lines = [head, "-" * len(head), "window steps (journal):"]
    for step in STEP_ORDER:
        budget = ROLLBACK_BUDGET_S if step == "rollback" else STEP_BUDGETS_S.get(step)
        cells = "".join(f"{r['steps'].get(step, float('nan')):>11.1f}s" for r in results)  # type: ignore[union-attr]
        lines.append(f"  {step:<22}{(f'{budget / 60:.0f} min' if budget else '—'):>10}{cells}")
    lines.append("rehearsal phases:")
    phases = list(dict.fromkeys(p for r in results for p in r["phases"]))  # type: ignore[union-attr]
    for phase in phases:
        cells = "".join(f"{r['phases'].get(phase, float('nan')):>11.1f}s" for r in results)  # type: ignore[union-attr]
        budget = "1 h 45" if phase == "window" else ("15 min" if phase == "rollback" else "")
        lines.append(f"  {phase:<22}{budget:>10}{cells}")
    lines.append("-" * len(head))
    lines.append(f"  {'total (wall)':<22}{'':>10}" + "".join(f"{r['wall_s']:>11.1f}s" for r in results))
    lines.append(f"  {'target':<22}{'':>10}" + "".join(f"{TARGETS_S.get(str(r['label']), math.nan):>11.0f}s"
                                                       for r in results))
    lines.append(f"  {'ratio wall / target':<22}{'':>10}"
                 + "".join(f"{float(r['wall_s']) / TARGETS_S.get(str(r['label']), math.nan):>12.2f}"  # type: ignore[arg-type]
                           for r in results))
    setup = ("postgres", "code", "isolation", "1c-package", "pre-migration-state", "serve")
    lines.append(f"  {'set-up (sum)':<22}{'':>10}"
                 + "".join(f"{sum(r['phases'].get(p, 0.0) for p in setup):>11.1f}s" for r in results))  # type: ignore[union-attr]
    lines.append(f"  {'verdict':<22}{'':>10}" + "".join(f"{r['verdict']!s:>12}" for r in results))
    return "\n".join(lines)


def median_of(runs: list[dict[str, object]], label: str) -> dict[str, object]:
    """The medians of several rehearsals of one side: wall, CPU, each phase and each step."""
    def med(key: str) -> dict[str, float]:
        names = dict.fromkeys(n for r in runs for n in r[key])  # type: ignore[attr-defined]
        return {n: round(statistics.median(float(r[key].get(n, 0.0)) for r in runs), 2)  # type: ignore[attr-defined]
                for n in names}

    verdicts = {str(r["verdict"]) for r in runs}
    return {"label": label, "wall_s": round(statistics.median(float(r["wall_s"]) for r in runs), 1),  # type: ignore[arg-type]
            "cpu_s": round(statistics.median(float(r["cpu_s"]) for r in runs), 1),  # type: ignore[arg-type]
            "verdict": verdicts.pop() if len(verdicts) == 1 else "/".join(sorted(verdicts)),
            "phases": med("phases"), "steps": med("steps"),
            "walls": [r["wall_s"] for r in runs], "cpus": [r["cpu_s"] for r in runs]}


def before_after(before: Path, rounds: int) -> int:
    """The default rehearsal of ``before`` and of this checkout, alternating, ``rounds`` each."""
    if not (before / "rehearse" / "__main__.py").is_file():
        raise SystemExit(f"--before {before}: no rehearse/__main__.py there (a checkout of this repository?)")
    load0 = os.getloadavg()
    sides: dict[str, list[dict[str, object]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="bench-rehearsal-") as tmp:
        for n in range(rounds):
            for label, repo in (("before", before.resolve()), ("after", REPO)):
                result = rehearse(f"{label}{n}", {}, Path(tmp), repo)
                result.pop("run_dir")
                sides[label].append(result)
                print(f"  {label} round {n + 1}: {result['wall_s']} s wall, {result['cpu_s']} CPU-s, verdict "  # noqa: T201
                      f"{result['verdict']}, load {os.getloadavg()[0]:.2f}", flush=True)
    results = [median_of(sides["before"], "before"), median_of(sides["after"], "after")]
    print(table(results))  # noqa: T201
    b, a = results
    print(f"  {'after / before, wall':<32}{float(a['wall_s']) / float(b['wall_s']):>8.2f}"  # type: ignore[arg-type]
          f"   (medians of {rounds}: {b['walls']} → {a['walls']})")
    print(f"  {'after / before, CPU':<32}{float(a['cpu_s']) / float(b['cpu_s']):>8.2f}"  # type: ignore[arg-type]
          f"   ({b['cpus']} → {a['cpus']})")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load0)}, after: "  # noqa: T201
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    out = REPO / "var" / "bench" / "rehearsal-before-after.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"before": sides["before"], "after": sides["after"], "medians": results}, indent=2))
    return 0 if all(r["verdict"] == "GO" for side in sides.values() for r in side) else 1


def main() -> int:
    """Run the sizes asked for and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("default", "100k"))
    parser.add_argument("--skus", type=int, default=100_000, help="SKUs of the large run (default 100000)")
    parser.add_argument("--cold", action="store_true",
                        help="first the default rehearsal without the seed cache (REHEARSAL_SEED_CACHE=off), "
                             "side by side with the cached one")
    parser.add_argument("--before", type=Path, help="another checkout: its default rehearsal and this one's, alternating")
    parser.add_argument("--rounds", type=int, default=1, help="with --before: rehearsals per side (default 1)")
    args = parser.parse_args()
    if args.before is not None:
        return before_after(args.before, max(1, args.rounds))
    params = sample_parameters()
    k = params.variants_per_product
    sizes: dict[str, dict[str, str]] = {"default-cold": {"REHEARSAL_SEED_CACHE": "off"}} if args.cold else {}
    sizes.update({"default": {}, "100k": {"REHEARSAL_PRODUCTS": str(math.ceil(args.skus / k)),
                                          "REHEARSAL_VARIANTS_PER_PRODUCT": str(k),
                                          "REHEARSAL_SEED": str(params.seed)}})
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}",  # noqa: T201
          flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-rehearsal-") as tmp:
        for label, env in sizes.items():
            if args.only and label.removesuffix("-cold") != args.only:
                continue
            print(f"rehearsal on {label} data …", flush=True)  # noqa: T201
            result = rehearse(label, env, Path(tmp))
            result.pop("run_dir")
            results.append(result)
            print(f"  {result['wall_s']}s, verdict {result['verdict']} ({result['data']})", flush=True)  # noqa: T201
    print(table(results))  # noqa: T201
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # noqa: T201
    out = REPO / "var" / "bench" / "rehearsal.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    ok = all(r["verdict"] == "GO" and float(r["wall_s"]) <= TARGETS_S.get(str(r["label"]), math.inf)  # type: ignore[arg-type]
             for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
