"""``make rollback-rehearsal``: the latest verified backup's way back, proven on a disposable PostgreSQL.

The newest run whose backup passed BKP-01..04 (and whose dump is still there, sha256 intact)
is restored into a disposable server; the window then runs on it exactly as ``make migrate``
does, up to and including the import (its own backup, migrate, flush, import); the reverse
migration is tried on a copy; ``rollback_production.sh`` restores the window's backup; RBK-01..03
prove the result. ``ROLLBACK_REHEARSAL_DUMP`` names a dump instead. The configured target is
never touched.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from gate.backup.take import sha256_of
from gate.settings import REPO

BKP_IDS = ("BKP-01", "BKP-02", "BKP-03", "BKP-04")


def verified_backups(runs_root: Path) -> list[tuple[str, Path]]:
    """``(finished_at, dump)`` of every run whose BKP checks passed and whose dump still matches, newest first."""
    found = []
    for summary_path in runs_root.glob("*/summary.json"):
        try:
            summary = json.loads(summary_path.read_text())
            manifest = json.loads((summary_path.parent / "backup.json").read_text())
        except (OSError, ValueError):
            continue
        rows = {r.get("id"): r.get("outcome") for r in summary.get("checks", [])}
        dump = Path(manifest.get("path", ""))
        if any(rows.get(i) != "passed" for i in BKP_IDS) or not dump.exists():
            continue
        if sha256_of(dump)[0] != manifest.get("sha256"):
            continue
        found.append((str(summary.get("finished_at") or manifest.get("finished_at") or ""), dump))
    return sorted(found, reverse=True)


def rehearse_latest_backup(console: Console) -> int:
    """Run the rollback rehearsal; exit 0 when RBK-01..03 passed."""
    import os

    from rehearse.orchestrator import Rehearsal, RehearsalError, rehearsal_environ

    try:
        environ = rehearsal_environ(dict(os.environ))
    except RehearsalError as exc:
        console.print(str(exc), markup=False)
        return 2
    dump = environ.get("ROLLBACK_REHEARSAL_DUMP", "")
    if not dump:
        backups = verified_backups(Path(environ.get("RUNS_ROOT") or REPO / "var" / "runs"))
        if not backups:
            console.print("rollback rehearsal: no verified backup in var/runs (BKP-01..04 passed and the dump still "
                          "there): run `make backup` / `make migrate` first, or give ROLLBACK_REHEARSAL_DUMP=<dump>")
            return 2
        dump = str(backups[0][1])
    console.print(f"rollback rehearsal of {dump}", highlight=False, markup=False)
    environ["REHEARSAL_SOURCE_DUMP"] = dump
    rehearsal = Rehearsal(None, console=console, environ=environ, stop_after="import", label="rollback-rehearsal")
    rehearsal.execute()
    rows = {r["id"]: r.get("outcome") for r in rehearsal.run.read_summary().get("checks", [])} if rehearsal.run else {}
    ok = all(rows.get(i) == "passed" for i in ("RBK-01", "RBK-02", "RBK-03"))
    console.print(("[green]rollback proven[/]" if ok else "[bold red]rollback NOT proven[/]")
                  + " — " + ", ".join(f"{i} {rows.get(i, 'not run')}" for i in ("RBK-01", "RBK-02", "RBK-03")))
    return 0 if ok else 1
