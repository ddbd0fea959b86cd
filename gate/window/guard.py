"""The destructive-step guard: every destructive phase checks this run's state before it runs.

``migrate``, ``flush`` and ``import`` (and the rollback script, which reads the same record)
refuse — exit 3, nothing run — when this run's verdict already says stop (NO-GO before the point
of no return, ROLLBACK after it) or an earlier step of the window has not completed in this run.
The flush also needs an explicit confirmation AND this run's verified backup: ``CONFIRM=yes``
says a person meant it; BKP-01..04 passed in *this* run's ``summary.json`` says the way back
exists. A refusal changes nothing and names what is missing.

An explicit override (``GUARD_OVERRIDE="<reason>"``, or ``--override``) lets a step run past the
run-state refusals (never past a missing confirmation or an unverified backup); it is recorded
with its reason and what it overrode in ``RUN_DIR/overrides.jsonl`` and in ``summary.json``
``overrides[]``, which the sign-off page shows.

``python -m gate.window.guard <step> [--confirm] [--override REASON]`` exits 0 when the step may
run, 3 when refused (the step scripts call it first, so running them by hand is guarded too).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gate.cli import command, load_settings, open_run
from gate.run import REFUSED_EXIT, Override, Run, now_utc
from gate.settings import Settings
from gate.window.stages import BKP_IDS, STAGES

OVERRIDES = "overrides.jsonl"
STOP_VERDICTS = ("NO-GO", "ROLLBACK")
GUARDED = ("migrate", "flush", "import")
"""Set by the step runner for its scripts: the window's steps in order, comma-separated."""


def backup_verified(run: Run) -> list[str]:
    """What is missing for "this run's backup passed BKP-01..04" (empty when it did)."""
    rows = {r["id"]: r for r in run.read_summary().get("checks", [])}
    missing = []
    for check_id in BKP_IDS:
        row = rows.get(check_id)
        if row is None:
            missing.append(f"{check_id} has not run in this run ({run.run_id})")
        elif row["outcome"] != "passed":
            missing.append(f"{check_id} {row['outcome']}: {row.get('message', '')[:200]}")
    return missing


def run_state(run: Run, step: str, window: list[str] | None = None) -> list[str]:
    """Why this run's record says ``step`` must not run now: its verdict, earlier steps not completed.

    ``window``: the window's steps in order (default: every stage of gate/window/stages.py with a script).
    """
    summary = run.read_summary()
    reasons = []
    verdict = summary.get("verdict")
    if verdict in STOP_VERDICTS:
        failed = [f"{r['id']} ({r.get('message', '')[:100]})" for r in summary.get("checks", [])
                  if r.get("outcome") == "failed"]
        reasons.append(f"this run's verdict is already {verdict}: " + "; ".join(failed[:6]))
    names = window if window is not None else [s.name for s in STAGES if s.script]
    if step in names:
        done = {s["name"] for s in run.steps() if s.get("exit_code") == 0}
        reasons += [f"the earlier step {earlier} has not completed in run {run.run_id}"
                    for earlier in names[:names.index(step)] if earlier not in done]
    return reasons


def refusal(settings: Settings, run: Run, confirm: bool, step: str = "flush", override: str | None = None,
            window: list[str] | None = None) -> str | None:
    """The reason ``step`` must not run now, ``None`` when it may (an override is recorded here)."""
    reasons = []
    if step == "flush":
        if not (confirm or settings.confirm):
            reasons.append("no confirmation: give CONFIRM=yes (or --confirm)")
        reasons += backup_verified(run)
    state = run_state(run, step, window)
    if state and override and override.strip():
        record_override(run, step, override.strip(), state)
    else:
        reasons += state
    return "; ".join(reasons) if reasons else None


def record_override(run: Run, step: str, reason: str, overridden: list[str]) -> Override:
    """Append the override to ``overrides.jsonl`` and to ``summary.json`` ``overrides[]``."""
    entry: Override = {"step": step, "reason": reason, "overridden": overridden, "at": now_utc().isoformat()}
    with (run.dir / OVERRIDES).open("a") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    summary = run.read_summary()
    if summary:
        summary["overrides"] = [*summary.get("overrides", []), entry]
        tmp = run.summary_path.with_suffix(".override.tmp")
        tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
        tmp.replace(run.summary_path)
    return entry


def overrides(run_dir: str | Path) -> list[Override]:
    """The overrides recorded in a run directory (the sign-off page lists them)."""
    path = Path(run_dir) / OVERRIDES
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@command("guard")
def main(argv: list[str] | None = None) -> int:
    """CLI: exit 0 when the step may run, 3 with the reason when refused."""
    parser = argparse.ArgumentParser(prog="python -m gate.window.guard")
    parser.add_argument("step")
    parser.add_argument("--confirm", action="store_true")
    parser.add_argument("--override", default=None, help="run past this run's state, recorded with this reason")
    parser.add_argument("--run-dir", type=Path, default=None, help="this run (default: the RUN_DIR / RUN_ID settings)")
    parser.add_argument("--window-steps", default="", metavar="STEP[,STEP…]",
                        help="the runner's own step list, in order (it may run a shorter window; default: every stage)")
    args = parser.parse_args(argv)
    settings = load_settings()
    run = open_run(settings, args.run_dir)
    override = args.override if args.override is not None else settings.guard_override
    window = [n for n in args.window_steps.split(",") if n] or None
    reason = refusal(settings, run, args.confirm, args.step, override, window)
    if reason:
        sys.stderr.write(f"{args.step} refused, nothing changed: {reason}\n")
        return REFUSED_EXIT
    if override and overrides(run.dir) and overrides(run.dir)[-1]["step"] == args.step:
        sys.stdout.write(f"{args.step}: OVERRIDE recorded ({override}); the sign-off page lists it\n")
    extra = ", this run's backup passed BKP-01..04" if args.step == "flush" else ""
    sys.stdout.write(f"{args.step}: allowed{extra}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
