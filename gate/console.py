"""Rich rendering of a run's summary: the checks table and the verdict.

>>> import io; buf = io.StringIO()
>>> render_summary({"verdict": "GO", "checks": [], "decision": {"matrix_row": "every check passed"}}, buf)
>>> "GO" in buf.getvalue()
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from gate.run import DecisionRow, Summary

OUTCOME_STYLE = {"passed": "green", "failed": "bold red", "skipped": "yellow"}
VERDICT_STYLE = {"GO": "bold white on green", "NO-GO": "bold white on red", "ROLLBACK": "bold white on red",
                 "MONITOR": "bold black on yellow", "HOTFIX": "bold black on yellow",
                 "INTERRUPTED": "bold white on magenta"}


def _decided_by(decision: DecisionRow | dict[str, str]) -> str:
    """The deciding check and the matrix row: ``PRE-07: …`` (just the row when no check decided)."""
    deciding = decision.get("deciding_check")
    return f"{deciding + ': ' if deciding else ''}{decision.get('matrix_row', '')}"


def render_summary(summary: Summary, file: TextIO, color: bool = False, width: int = 140) -> None:
    """Print the checks of ``summary`` as a table, then its verdict and deciding check."""
    console = Console(file=file, force_terminal=color, no_color=not color, width=width, highlight=False)
    table = Table(title=f"gate run {summary.get('run_id', '')} → {summary.get('target', '')}", expand=False)
    for name in ("id", "phase", "severity", "outcome", "s", "message"):
        table.add_column(name, overflow="fold", max_width=70 if name == "message" else None)
    for row in summary.get("checks", []):
        severity = row.get("severity", "")
        if row.get("effective_severity"):
            severity = f"{severity}→{row['effective_severity']}"
        table.add_row(
            row["id"], row.get("phase", ""), severity,
            Text(row["outcome"], style=OUTCOME_STYLE.get(row["outcome"], "")),
            f"{row.get('duration_s') or 0:.1f}", row.get("message", ""),
        )
    console.print(table)
    manual = summary.get("manual_items") or []
    if manual:
        console.print(f"manual sign-off items ({len(manual)}):")
        for item in manual:
            console.print(f"  [ ] {item['id']}: {item['reason']}", markup=False)
    verdict = summary.get("verdict", "?")
    decision: DecisionRow | dict[str, str] = summary.get("decision") or {}
    body = Text(f" {verdict} ", style=VERDICT_STYLE.get(verdict, "bold"))
    body.append(f"  exit {decision.get('exit_code', '?')}  ")
    body.append(_decided_by(decision))
    console.print(Panel(body, title="verdict", expand=False))
    for warning in summary.get("settings_warnings") or []:
        console.print(Text(f"settings WARNING: {warning}", style="yellow"))
    if summary.get("site_in_maintenance"):
        console.print(Text(f"THE SITE IS IN MAINTENANCE: {summary['site_in_maintenance']}", style="bold red"))


def plain_summary(summary: Summary, file: TextIO) -> None:
    """The same facts as :func:`render_summary`, one plain line each (no table): what a window's check
    session leaves in its log, where nobody looks at a terminal and rich's layout costs more than the checks.

    >>> import sys
    >>> plain_summary({"checks": [{"id": "MNT-02", "outcome": "passed", "duration_s": 0.2, "message": "off"}],
    ...                "verdict": "GO", "decision": {"exit_code": 0, "matrix_row": "all passed"}}, sys.stdout)
    MNT-02 passed 0.2s off
    verdict: GO (exit 0) all passed
    """
    lines = [f"{row['id']} {row['outcome']} {row.get('duration_s') or 0:.1f}s {row.get('message', '')}".rstrip()
             for row in summary.get("checks", [])]
    lines += [f"manual sign-off item {item['id']}: {item['reason']}" for item in summary.get("manual_items") or []]
    decision: DecisionRow | dict[str, str] = summary.get("decision") or {}
    lines.append(f"verdict: {summary.get('verdict', '?')} (exit {decision.get('exit_code', '?')}) "
                 f"{_decided_by(decision)}".rstrip())
    lines += [f"settings WARNING: {warning}" for warning in summary.get("settings_warnings") or []]
    if summary.get("site_in_maintenance"):
        lines.append(f"THE SITE IS IN MAINTENANCE: {summary['site_in_maintenance']}")
    file.write("\n".join(lines) + "\n")


def markdown_verdict(summary: Summary, run_dir: str) -> str:
    """The verdict by name, its code, the deciding check and the run's files, as Markdown (a CI job summary).

    >>> print(markdown_verdict({"verdict": "NO-GO", "decision": {"exit_code": 10, "deciding_check": "MIG-03",
    ...                          "matrix_row": "the plan deletes orders"}}, "var/runs/x"))
    ### Verdict: **NO-GO** (its code 10)
    - deciding check: MIG-03 — the plan deletes orders
    - run: `var/runs/x` (summary.json, signoff.html, signoff.md)
    """
    decision: DecisionRow | dict[str, str] = summary.get("decision") or {}
    lines = [f"### Verdict: **{summary.get('verdict', '?')}** (its code {decision.get('exit_code', '?')})",
             f"- deciding check: {decision.get('deciding_check') or 'none'} — {decision.get('matrix_row', '')}",
             f"- run: `{run_dir}` (summary.json, signoff.html, signoff.md)"]
    lines += [f"- settings WARNING: {w}" for w in summary.get("settings_warnings") or []]
    if summary.get("site_in_maintenance"):
        lines.append(f"- **THE SITE IS IN MAINTENANCE**: {summary['site_in_maintenance']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m gate.console [--markdown] [RUN_DIR]``: print a run's checks and verdict (``--markdown``:
    the verdict by name as Markdown, for a CI job summary); exit with the verdict's code."""
    import json
    import sys
    from pathlib import Path

    args = sys.argv[1:] if argv is None else argv
    markdown = "--markdown" in args
    args = [a for a in args if a != "--markdown"]
    runs = Path(__file__).resolve().parent.parent / "var" / "runs"
    run_dir = Path(args[0]) if args else runs / "latest"
    if not args and not (run_dir / "summary.json").exists():
        with_summary = sorted(runs.glob("*/summary.json"), key=lambda p: p.stat().st_mtime)
        run_dir = with_summary[-1].parent if with_summary else run_dir
    try:
        summary = json.loads((run_dir / "summary.json").read_text())
        if (run_dir / "run.json").exists():  # a window that died is INTERRUPTED, whatever its checks said
            from gate.run import Run
            from gate.window.interrupted import effective_summary

            summary = effective_summary(Run.open(run_dir)) or summary
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"no readable summary.json in {run_dir}: {exc}\n")
        return 2
    if markdown:
        sys.stdout.write(markdown_verdict(summary, str(run_dir)) + "\n")
    else:
        render_summary(summary, sys.stdout, color=sys.stdout.isatty())
    return int((summary.get("decision") or {}).get("exit_code", 0 if summary.get("verdict") == "GO" else 1))


if __name__ == "__main__":
    raise SystemExit(main())
