"""``python -m gate.rehearsal``: the nightly rehearsal, its fault matrix and the rollback rehearsal.

    python -m gate.rehearsal [--fault NAME]          # make rehearsal [FAULT=NAME]
    python -m gate.rehearsal matrix [--only A,B]     # make fault-matrix
    python -m gate.rehearsal rollback                # make rollback-rehearsal
    python -m gate.rehearsal faults                  # the faults and their verdicts

Exit status: a rehearsal exits with its verdict's code (GO 0, NO-GO 10, ROLLBACK 20, MONITOR 30,
HOTFIX 40; 1 when it could not run); with ``--fault`` and for ``matrix``, 0 when every fault gave
the verdict the Rollback Decision Matrix demands (and was caught where it must be), else 1.
"""

from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console
from rich.table import Table

from gate.rehearsal import faults


def run_matrix(names: list[str], console: Console) -> int:
    """Every fault of ``names``, one rehearsal each; a table of fault → expected → got."""
    from gate.rehearsal.orchestrator import Rehearsal

    rows = []
    for name in names:
        rehearsal = Rehearsal(faults.get(name), console=console)
        code = rehearsal.execute()
        matrix = rehearsal.record.get("matrix", {})
        rows.append((name, faults.get(name).expected.value, rehearsal.record.get("verdict", "?"),
                     sum(p.duration_s for p in rehearsal.phases), code == 0, "; ".join(matrix.get("problems", []))))
    table = Table(title="fault matrix")
    for column in ("fault", "expected", "verdict", "s", "ok", "problems"):
        table.add_column(column, overflow="fold")
    for name, expected, got, seconds, ok, problems in rows:
        table.add_row(name, expected, got, f"{seconds:.0f}", "[green]yes[/]" if ok else "[bold red]NO[/]", problems)
    console.print(table)
    return 0 if all(r[4] for r in rows) else 1


def main(argv: list[str] | None = None) -> int:
    """The CLI; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m gate.rehearsal", description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", default="run", choices=("run", "matrix", "rollback", "faults"))
    parser.add_argument("--fault", default=os.environ.get("FAULT", ""), help="inject one fault (see `faults`)")
    parser.add_argument("--only", default="", help="matrix: only these faults (comma-separated)")
    args = parser.parse_args(argv)
    console = Console()
    if args.command == "faults":
        for fault in faults.FAULTS.values():
            console.print(f"{fault.name:<26} → {fault.expected.value:<8} caught by {', '.join(fault.caught_by):<14} "
                          f"{fault.what}", highlight=False, markup=False)
        return 0
    if args.command == "matrix":
        names = [n.strip() for n in args.only.split(",") if n.strip()] or list(faults.FAULTS)
        for name in names:
            faults.get(name)
        return run_matrix(names, console)
    if args.command == "rollback":
        from gate.rehearsal.rollback import rehearse_latest_backup

        return rehearse_latest_backup(console)
    from gate.rehearsal.orchestrator import Rehearsal

    try:
        fault = faults.get(args.fault) if args.fault else None
    except KeyError as exc:
        console.print(str(exc), markup=False)
        return 2
    return Rehearsal(fault, console=console).execute()


if __name__ == "__main__":
    sys.exit(main())
