"""``python -m gate.steps.monitor`` (``make monitor``): MON-01 every N minutes for the post-migration 24 h.

Each round runs the MON-01 check into the window's run (the latest, or ``RUN_DIR``) and appends
its row to ``RUN_DIR/monitor.jsonl``; the run's summary keeps the latest MON-01. Settings:
``MONITOR_INTERVAL_MINUTES`` (15), ``MONITOR_DURATION_HOURS`` (24), ``MONITOR_ROUNDS`` (stop
after this many rounds, for tests). Exit status: the verdict after the last round.
"""

from __future__ import annotations

import json
import os
import sys
import time

from rich.console import Console

from gate.run import CheckRow, Run, now_utc
from gate.settings import SettingsError, load_settings
from gate.steps.runner import WindowRunner
from gate.types import EXIT_CODES, Verdict


def main() -> int:
    """Repeat MON-01; returns the final verdict's exit status."""
    console = Console()
    try:
        settings = load_settings()
    except SettingsError as exc:
        console.print(f"settings: {exc}", markup=False)
        return 2
    latest = settings.runs_root / "latest"
    if settings.run_dir or settings.run_id or not latest.exists():
        run = Run.open(settings.run_dir, settings.run_id, settings.runs_root)
    else:
        run = Run.open(latest.resolve())
    os.environ["RUN_DIR"], os.environ["RUN_ID"] = str(run.dir), run.run_id
    interval = settings.monitor_interval_minutes * 60
    deadline = time.monotonic() + settings.monitor_duration_hours * 3600
    rounds = int(os.environ.get("MONITOR_ROUNDS", "0") or 0)
    runner = WindowRunner(settings, run, console=console)
    done = 0
    while True:
        runner.run_checks(f"monitor-{done + 1}", ("MON-01",))
        row: CheckRow | dict[str, str] = next((r for r in run.read_summary().get("checks", []) if r["id"] == "MON-01"), {})
        with (run.dir / "monitor.jsonl").open("a") as fh:
            fh.write(json.dumps({"at": now_utc().isoformat(), **row}, ensure_ascii=False) + "\n")
        console.print(f"{now_utc():%H:%M:%S} MON-01 {row.get('outcome')}: {row.get('message', '')}", markup=False)
        done += 1
        if (rounds and done >= rounds) or time.monotonic() + interval > deadline:
            break
        time.sleep(interval)
    return EXIT_CODES[Verdict(run.read_summary().get("verdict", "GO"))]


if __name__ == "__main__":
    sys.exit(main())
