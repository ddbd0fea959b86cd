"""``make rehearsal`` end to end on the default data and on 100k SKUs, side by side with the runbook's timetable.

    .venv/bin/python bench/bench_rehearsal.py                 # default data, then 100k SKUs
    .venv/bin/python bench/bench_rehearsal.py --only default  # one size
    .venv/bin/python bench/bench_rehearsal.py --skus 50000
    .venv/bin/python bench/bench_rehearsal.py --only default --cold  # without, then with the seed cache

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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gate.checks import ROLLBACK_BUDGET_S, STEP_BUDGETS_S  # noqa: E402
from rehearse.backend import sample_parameters  # noqa: E402

TARGETS_S = {"default": 30.0, "default-cold": 30.0, "100k": 360.0}
"""Issue 16 item 3: the default rehearsal in 30 s with the engine, image and venv there (earlier: 180 s)."""
WINDOW_BUDGET_S = 105 * 60
STEP_ORDER = ("backup", "maintenance_on", "deploy", "migrate", "pre_import", "flush_dry_run", "flush", "import",
              "maintenance_off", "smoke", "rollback")


def rehearse(label: str, extra_env: dict[str, str], root: Path) -> dict[str, object]:
    """One rehearsal; its wall time, phases, steps and verdict."""
    env = {**os.environ, **extra_env, "RUNS_ROOT": str(root / label / "runs"),
           "REHEARSAL_WORK_DIR": str(root / label / "work"), "GATE_LIVE": "0"}
    for key in ("DATABASE_URL", "BASE_URL", "RUN_DIR", "ENV_FILE"):
        env.pop(key, None)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "rehearse"], cwd=REPO, env=env, capture_output=True,
                          text=True, check=False)
    wall = time.monotonic() - t0
    runs = sorted((root / label / "runs").glob("*-rehearsal"))
    if not runs:
        raise SystemExit(f"{label}: no run directory; output:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    record = json.loads((runs[-1] / "rehearsal.json").read_text())
    summary = json.loads((runs[-1] / "summary.json").read_text())
    steps = {s["name"]: float(s.get("duration_s") or 0) for s in summary.get("steps", [])}
    return {"label": label, "wall_s": round(wall, 1), "exit": proc.returncode, "verdict": summary.get("verdict"),
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


def main() -> int:
    """Run the sizes asked for and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("default", "100k"))
    parser.add_argument("--skus", type=int, default=100_000, help="SKUs of the large run (default 100000)")
    parser.add_argument("--cold", action="store_true",
                        help="first the default rehearsal without the seed cache (REHEARSAL_SEED_CACHE=off), "
                             "side by side with the cached one")
    args = parser.parse_args()
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
