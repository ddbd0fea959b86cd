"""``python -m gate.notify start|verdict|end --run-dir RUN_DIR``: post one window event.

Exit status 0 even when the webhook is down (the window must not fail because chat did);
``--strict`` makes an undelivered message exit 1.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from gate.cli import command, load_settings
from gate.notify.notifier import EVENTS, RECORD_NAME, notify, notify_args


@command("notify")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gate.notify", description=__doc__)
    parser.add_argument("event", choices=EVENTS)
    parser.add_argument("--run-dir", type=Path, default=None, help="run directory (default: the RUN_DIR setting)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the message was not delivered")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    settings = load_settings()  # the webhook is a setting: the env file's NOTIFY_WEBHOOK_URL counts too
    args.run_dir = args.run_dir or settings.run_dir
    if args.run_dir is None:
        parser.error("--run-dir (or RUN_DIR) is required")
    attempts = notify(args.event, args.run_dir, **notify_args(settings))
    last = attempts[-1]
    where = args.run_dir / RECORD_NAME
    if last.status == "sent":
        sys.stdout.write(f"notify {args.event}: sent ({last.http_status}), recorded in {where}\n")
    elif last.status == "skipped":
        sys.stdout.write(f"notify {args.event}: not sent — {last.error}; recorded in {where}\n")
    else:
        sys.stderr.write(f"WARNING notify {args.event}: NOT delivered — {last.error}; the window goes on; recorded in {where}\n")
        return 1 if args.strict else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
