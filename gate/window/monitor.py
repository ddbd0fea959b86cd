"""``python -m gate.window.monitor`` (``make monitor``): MON-01 every N minutes for the post-migration 24 h.

Each round runs the MON-01 check into the window's run (the latest, or ``RUN_DIR``) and appends
its row to ``RUN_DIR/monitor.jsonl``; the run's summary keeps the latest MON-01. Settings:
``MONITOR_INTERVAL_MINUTES`` (15), ``MONITOR_DURATION_HOURS`` (24), ``MONITOR_ROUNDS`` (stop
after this many rounds, for tests). ``--after-destructive``: decide as after the point of no
return even when the run's record shows no destructive step. Exit status: the verdict after the
last round.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rich.console import Console

from gate.cli import command, load_settings, open_run
from gate.run import CheckRow, now_utc
from gate.types import EXIT_CODES, Verdict
from gate.window.runner import WindowRunner


@command("monitor")
def main(argv: list[str] | None = None) -> int:
    """Repeat MON-01; returns the final verdict's exit status."""
    parser = argparse.ArgumentParser(prog="python -m gate.window.monitor", description=__doc__.split("\n")[0])
    parser.add_argument("--run-dir", type=Path, default=None, help="the window's run (default: RUN_DIR, else the latest)")
    parser.add_argument("--after-destructive", action="store_true",
                        help="decide as after the first destructive step (MONITOR, not NO-GO)")
    args = parser.parse_args(argv)
    console = Console()
    settings = load_settings()
    run = open_run(settings, args.run_dir, latest=True)
    interval = settings.monitor_interval_minutes * 60
    deadline = time.monotonic() + settings.monitor_duration_hours * 3600
    rounds = settings.monitor_rounds
    runner = WindowRunner(settings, run, console=console)
    done = 0
    while True:
        runner.run_checks(f"monitor-{done + 1}", ("MON-01",), after_destructive=args.after_destructive)
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
