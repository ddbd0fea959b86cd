"""One real rehearsal at N SKUs for ``bench_scale.py --only rehearsal``, and the curve's rows read from its run.

``rehearse_size`` runs ``python -m rehearse`` (the entry point ``bench_rehearsal.py`` and ``make
rehearsal`` use) with ``REHEARSAL_PRODUCTS = ceil(N / K)`` goods of the committed sample's K variants
and seed, into ``<root>/<N>/runs`` (kept: the run directory is the evidence). ``curve_of`` reads
that run directory and gives each figure beside its reference:

* migrate, flush dry run, flush, import: the window's journal (``summary.json`` ``steps[]``), against
  the budget the journal carries for the step (the runbook's timetable, ``gate/window/budgets.py``);
* backup proof: the backup step plus the check sessions holding BKP-01..04, against the backup budget;
* postflight: the check sessions holding PST checks (``checks/sessions.jsonl``: whole sessions, so
  IMP checks coalesced into the same pytest session count too) and, beside it, the PST checks' own
  durations (``summary.json`` ``checks[]``), against the issue's 60 s;
* preflight: the check sessions holding PRE checks (ONE-01..04 read the 1C package in the same
  session); the window's checks: every check session of the window (both for the record, no reference);
* the window (journal phase ``window``) against the runbook's 1 h 45, the rollback against 15 min;
* the rehearsal's wall against 15 min (issue 16 at 1M), and without the data's set-up (the 1C
  package and the seeded v13.3 state: generated or copied from ``var/cache``).

>>> ratio(30.0, 60.0)
0.5
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from gate.window.budgets import WINDOW_BUDGET_S, budget_for  # noqa: E402

POSTFLIGHT_TARGET_S = 60.0
"""Issue 16 item 5: postflight ≤ 60 s at 1M SKUs."""
REHEARSAL_TARGET_S = 15 * 60.0
"""Issue 16 item 5: the rehearsal ≤ 15 min at 1M SKUs (an upper bound for the smaller sizes)."""
DATA_SETUP_PHASES = ("1c-package", "pre-migration-state")


@dataclass(frozen=True)
class Figure:
    """One row of the curve: ours beside its reference (None: no reference)."""

    name: str
    ours_s: float
    reference_s: float | None
    reference: str

    @property
    def ratio(self) -> float:
        """ours / reference (NaN without a reference)."""
        return ratio(self.ours_s, self.reference_s)


def ratio(ours: float, reference: float | None) -> float:
    """``ours / reference``, NaN when there is no reference."""
    return ours / reference if reference else math.nan


def load_average() -> str:
    """``uptime``'s three load averages (1, 5, 15 min)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def rehearsal_env(skus: int, root: Path, base: dict[str, str]) -> dict[str, str]:
    """The environment of one rehearsal at ``skus`` SKUs: its own runs and work directories, no live console."""
    from rehearse.backend import sample_parameters

    params = sample_parameters()
    k = params.variants_per_product
    env = {**base, "RUNS_ROOT": str(root / str(skus) / "runs"), "REHEARSAL_WORK_DIR": str(root / str(skus) / "work"),
           "GATE_LIVE": "0", "REHEARSAL_PRODUCTS": str(math.ceil(skus / k)),
           "REHEARSAL_VARIANTS_PER_PRODUCT": str(k), "REHEARSAL_SEED": str(params.seed)}
    for key in ("DATABASE_URL", "BASE_URL", "RUN_DIR", "ENV_FILE"):
        env.pop(key, None)
    return env


def rehearse_size(skus: int, root: Path) -> tuple[Path, float, int, str]:
    """One ``python -m rehearse`` at ``skus`` SKUs; its run directory, wall seconds, exit code, output's end."""
    env = rehearsal_env(skus, root, dict(os.environ))
    log = root / str(skus) / "rehearsal.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.run([sys.executable, "-m", "rehearse"], cwd=REPO, env=env, stdout=out,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
    wall = time.monotonic() - t0
    runs = sorted((root / str(skus) / "runs").glob("*-rehearsal"))
    if not runs:
        raise SystemExit(f"{skus} SKUs: the rehearsal left no run directory (exit {proc.returncode}; log {log})")
    return runs[-1], wall, proc.returncode, log.read_text(errors="replace")[-2000:]


def _sessions(run_dir: Path) -> list[dict[str, object]]:
    path = run_dir / "checks" / "sessions.jsonl"
    if not path.exists():
        return []
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc})") from None
    return rows


def _seconds(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def curve_of(run_dir: Path, wall_s: float | None = None) -> dict[str, object]:
    """The curve's figures of one rehearsal's run directory (``wall_s``: measured outside; else ``total_s``)."""
    try:
        summary = json.loads((run_dir / "summary.json").read_text())
        record = json.loads((run_dir / "rehearsal.json").read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{run_dir}: not a finished rehearsal run ({exc})") from None
    steps = {s["name"]: s for s in summary.get("steps", []) if s.get("duration_s") is not None}
    phases = {p["name"]: _seconds(p.get("duration_s")) for p in record.get("phases", [])}
    sessions = _sessions(run_dir)

    def step(name: str) -> Figure:
        row = steps.get(name, {})
        budget = row.get("budget_s") or budget_for(name)
        return Figure(name, _seconds(row.get("duration_s")), float(budget) if budget else None, "runbook")

    def sessions_with(prefix: str) -> float:
        return sum(_seconds(s.get("duration_s")) for s in sessions
                   if any(str(i).startswith(prefix) for i in s.get("ids", []) or []))  # type: ignore[attr-defined]

    backup = step("backup")
    pst_own = sum(_seconds(c.get("duration_s")) for c in summary.get("checks", []) if str(c.get("id", "")).startswith("PST-"))
    wall = wall_s if wall_s is not None else _seconds(record.get("total_s"))
    setup = sum(phases.get(p, 0.0) for p in DATA_SETUP_PHASES)
    figures = [
        step("migrate"), step("flush_dry_run"), step("flush"), step("import"),
        Figure("backup proof (step + BKP checks)", backup.ours_s + sessions_with("BKP-"), backup.reference_s, "runbook"),
        Figure("postflight (PST check sessions)", sessions_with("PST-"), POSTFLIGHT_TARGET_S, "issue 16"),
        Figure("postflight (PST checks' own time)", pst_own, POSTFLIGHT_TARGET_S, "issue 16"),
        Figure("preflight (PRE check sessions)", sessions_with("PRE-"), None, ""),
        Figure("window's check sessions (all)", sum(_seconds(s.get("duration_s")) for s in sessions), None, ""),
        Figure("window (steps + checks)", phases.get("window", 0.0), float(WINDOW_BUDGET_S), "runbook"),
        Figure("rollback", phases.get("rollback", 0.0), budget_for("rollback"), "runbook"),
        Figure("rehearsal (wall)", wall, REHEARSAL_TARGET_S, "issue 16"),
        Figure("rehearsal without the data's set-up", wall - setup, REHEARSAL_TARGET_S, "issue 16"),
    ]
    return {"run_dir": str(run_dir), "verdict": summary.get("verdict"), "rehearsal_verdict": record.get("verdict"),
            "data": record.get("data"), "setup_s": round(setup, 1), "figures": figures,
            "failed": [c["id"] for c in summary.get("checks", []) if c.get("outcome") == "failed"]}


def table(rows: list[tuple[int, dict[str, object], str, str]]) -> str:
    """Markdown: per size and figure, ours / reference / ratio; the load average at start and end of the size."""
    lines = ["| SKUs | figure | ours s | reference | ours / reference |", "|---:|---|---:|---:|---:|"]
    for skus, curve, load_start, load_end in rows:
        for f in curve["figures"]:  # type: ignore[attr-defined]
            ref = f"{f.reference_s:.0f} s ({f.reference})" if f.reference_s else "—"
            ratio_cell = f"{f.ratio:.3f}" if f.reference_s else "—"
            lines.append(f"| {skus:,} | {f.name} | {f.ours_s:.1f} | {ref} | {ratio_cell} |")
        lines.append(f"| {skus:,} | verdict {curve['verdict']} (rehearsal {curve['rehearsal_verdict']}), "
                     f"data set-up {curve['setup_s']} s, load {load_start} → {load_end} | | | |")
    return "\n".join(lines)
