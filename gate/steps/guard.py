"""The destructive-step guard: a flush needs an explicit confirmation AND this run's verified backup.

Why both: ``CONFIRM=yes`` says a person meant it; BKP-01..04 passed in *this* run's
``summary.json`` says the way back exists. A refusal changes nothing and names what is missing.
``python -m gate.steps.guard flush [--confirm]`` exits 3 when refused (the step script calls it
first, so running ``scripts/steps/flush.sh`` by hand is guarded too).
"""

from __future__ import annotations

import argparse
import sys

from gate.run import Run
from gate.settings import Settings, SettingsError, load_settings
from gate.steps.plan import BKP_IDS

REFUSED_EXIT = 3


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


def refusal(settings: Settings, run: Run, confirm: bool) -> str | None:
    """The reason a destructive step must not run now, ``None`` when it may."""
    reasons = []
    if not (confirm or settings.confirm):
        reasons.append("no confirmation: give CONFIRM=yes (or --confirm)")
    reasons += backup_verified(run)
    return "; ".join(reasons) if reasons else None


def main(argv: list[str] | None = None) -> int:
    """CLI: exit 0 when the step may run, 3 with the reason when refused."""
    parser = argparse.ArgumentParser(prog="python -m gate.steps.guard")
    parser.add_argument("step")
    parser.add_argument("--confirm", action="store_true")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.stderr.write(f"guard: settings: {exc}\n")
        return 2
    run = Run.open(settings.run_dir, settings.run_id, settings.runs_root)
    reason = refusal(settings, run, args.confirm)
    if reason:
        sys.stderr.write(f"{args.step} refused, nothing changed: {reason}\n")
        return REFUSED_EXIT
    sys.stdout.write(f"{args.step}: confirmed, this run's backup passed BKP-01..04\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
