"""``python -m gate.report.pr_summary RUN_DIR``: a rehearsal's per-migration table and verdict, in Markdown.

The pull-request rehearsal (``.github/workflows/pr-migration-rehearsal.yml``) writes this into the
job summary. It reads only what the run already recorded:

- ``summary.json``: the verdict by name and its deciding check;
- ``migrations/timings.jsonl`` (``MIGRATE_ONE_BY_ONE``): each migration's duration and the
  database size before/after it, as ``scripts/steps/migrate.sh`` measured them in the window;
- ``migrations/trial.json`` (MIG-05, gate/migrations/trial.py): rows inserted/updated/deleted per
  table by each migration on the backup's copy (and its duration and sizes when the window did not
  time the migrations one by one);
- ``migrations/lint.txt`` (MIG-03): the lock findings, one line per finding, ``[waived: …]`` when
  accepted; the table shows each open finding with its statement and counts the waived ones per rule.

Exit status: 0 only for GO; the verdict's own code otherwise (NO-GO 10, ROLLBACK 20, MONITOR 30,
HOTFIX 40); 2 when the run has no verdict (no ``summary.json``, or a verdict the gate does not know).

>>> _size(1536)
'1.5 KiB'
>>> _rows({"orders": {"inserted": 0, "updated": 0, "deleted": 150, "rows_before": 150, "rows_after": 0}})
'orders −150 (150 → 0)'
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict, cast

from gate.types import Verdict

NO_VERDICT = 2
"""Exit status when the run recorded no verdict."""


TableChangeJson = dict[str, int | bool | None]
"""A ``TableChange`` of the trial as ``trial.json`` records it (inserted, updated, deleted, rows_before…)."""


@dataclass(slots=True)
class MigrationRow:
    """One migration's line of the table."""

    migration: str
    duration_s: float | None = None
    size_before: int | None = None
    size_after: int | None = None
    changes: dict[str, TableChangeJson] = field(default_factory=dict)
    locks: list[str] = field(default_factory=list)
    exit_code: int | None = None


def _size(n: int | None) -> str:
    if n is None:
        return "—"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover


def _rows(changes: dict[str, TableChangeJson]) -> str:
    parts = []
    for table, c in sorted(changes.items()):
        counts = " ".join(f"{sign}{c[key]}" for key, sign in (("inserted", "+"), ("updated", "~"), ("deleted", "−"))
                          if c.get(key))
        before, after = c.get("rows_before"), c.get("rows_after")
        rows = f" ({before} → {after})" if before != after else ""
        parts.append(f"{table} {counts or 'content changed'}{rows}")
    return "; ".join(parts) or "none"


def _locks(findings: list[str]) -> list[str]:
    """MIG-03's lines of one migration, short: open findings each with its statement, waived ones counted.

    >>> _locks(['ban-drop-column — ALTER TABLE "p" DROP COLUMN "a" [waived: v13.4]',
    ...         'ban-drop-column — ALTER TABLE "p" DROP COLUMN "b" [waived: v13.4]',
    ...         'adding-not-nullable-field — ALTER TABLE "p" ALTER COLUMN "c" SET NOT NULL'])
    ['**adding-not-nullable-field** (open): ALTER TABLE "p" ALTER COLUMN "c" SET NOT NULL', 'ban-drop-column ×2 (waived)']
    """
    out: list[str] = []
    waived: dict[str, int] = {}
    for finding in findings:
        rule, _, statement = finding.partition(" — ")
        if "[waived: " in statement:
            waived[rule] = waived.get(rule, 0) + 1
        else:
            out.append(f"**{rule}** (open): {statement[:120]}")
    return out + [f"{rule} ×{n} (waived)" for rule, n in waived.items()]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class Timing(TypedDict):
    """One line of ``migrations/timings.jsonl`` (scripts/steps/migrate.sh)."""

    migration: str
    duration_s: float
    db_size_before: int
    db_size_after: int


def _read_timings(path: Path) -> list[Timing]:
    if not path.is_file():
        return []
    return [cast(Timing, json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def migration_rows(run_dir: Path) -> list[MigrationRow]:
    """The rows of the table, in the order the migrations ran (window timings first, then the trial's)."""
    mig = run_dir / "migrations"
    rows: dict[str, MigrationRow] = {}
    for t in _read_timings(mig / "timings.jsonl"):
        rows[t["migration"]] = MigrationRow(t["migration"], float(t["duration_s"]), int(t["db_size_before"]),
                                            int(t["db_size_after"]))
    trial_path = mig / "trial.json"
    if trial_path.is_file():
        trial = json.loads(trial_path.read_text())
        for r in trial.get("runs", []):
            row = rows.setdefault(r["migration"], MigrationRow(r["migration"], float(r["duration_s"]),
                                                               int(r["size_before"]), int(r["size_after"])))
            row.changes = dict(r.get("changes") or {})
            row.exit_code = int(r.get("exit_code", 0))
        for name in trial.get("pending", []):
            rows.setdefault(name, MigrationRow(name))
    lint = mig / "lint.txt"
    for line in (lint.read_text().splitlines() if lint.is_file() else []):
        name, sep, finding = line.partition(": ")
        if sep and line.strip():
            rows.setdefault(name, MigrationRow(name)).locks.append(finding)
    return list(rows.values())


def render(run_dir: Path) -> tuple[str, int]:
    """The Markdown summary of ``run_dir`` and the exit status (0 only for GO)."""
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        return (f"### Migration rehearsal: no verdict\n\n`{summary_path}` does not exist: the rehearsal did not "
                "reach a verdict (see the job log).\n", NO_VERDICT)
    summary = json.loads(summary_path.read_text())
    name = str(summary.get("verdict", ""))
    try:
        verdict: Verdict | None = Verdict(name)
    except ValueError:
        verdict = None
    code = verdict.exit_code if verdict is not None else NO_VERDICT
    decision = summary.get("decision") or {}
    out = [f"### Migration rehearsal verdict: **{name or 'none'}** (exit {code})", ""]
    if decision.get("deciding_check") or decision.get("matrix_row"):
        out.append(f"- deciding check: {decision.get('deciding_check') or 'none'} — "
                   f"{_cell(str(decision.get('matrix_row', '')))}")
    out += [f"- run: `{run_dir}`", ""]
    rows = migration_rows(run_dir)
    if not rows:
        out.append("No migration was recorded (no `migrations/timings.jsonl`, `trial.json` or `lint.txt`).")
    else:
        out += ["| migration | duration s | rows changed per table (MIG-05 copy) | DB size before | DB size after | "
                "lock findings (MIG-03) |", "|---|---:|---|---:|---:|---|"]
        for r in rows:
            duration = "—" if r.duration_s is None else f"{r.duration_s:.3f}"
            if r.exit_code:
                duration += f" (exit {r.exit_code})"
            locks = "<br>".join(_cell(f) for f in _locks(r.locks)) or "none"
            out.append(f"| {_cell(r.migration)} | {duration} | {_cell(_rows(r.changes))} | {_size(r.size_before)} "
                       f"| {_size(r.size_after)} | {locks} |")
    if verdict is None:
        out += ["", f"`summary.json` names no verdict the gate knows ({name!r}): failing."]
    return "\n".join(out) + "\n", code


def main(argv: list[str] | None = None) -> int:
    """Print the summary of RUN_DIR; exit 0 only for GO."""
    parser = argparse.ArgumentParser(prog="python -m gate.report.pr_summary", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path, help="the rehearsal's run directory (var/runs/<id>)")
    args = parser.parse_args(argv)
    text, code = render(args.run_dir)
    sys.stdout.write(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
