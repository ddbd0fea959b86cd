"""A run directory as the report reads it: tolerant of every optional key.

The gate's plugin writes ``summary.json`` (SPEC shape), the window adds ``steps[]`` and the
backup manifest; older or partial runs lack some of them. The report must still render a
partial run (a NO-GO at preflight has no steps and no backup), so every field here has a
default and unknown keys are kept in ``raw``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from gate.window.budgets import budget_for, phase_order

VERDICTS: Final = ("GO", "NO-GO", "ROLLBACK", "MONITOR", "HOTFIX")
DEFAULT_RUNS_DIR: Final = Path("var/runs")


@dataclass(frozen=True, slots=True)
class Check:
    """One check's result, as summary.json records it."""

    id: str
    phase: str = "other"
    severity: str = "critical"
    outcome: str = "unknown"
    message: str = ""
    duration_s: float | None = None
    title: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Check:
        return cls(
            id=str(data.get("id", "?")),
            phase=str(data.get("phase") or "other"),
            severity=str(data.get("effective_severity") or data.get("severity") or "critical"),
            outcome=str(data.get("outcome") or "unknown"),
            message=str(data.get("message") or ""),
            duration_s=_float_or_none(data.get("duration_s")),
            title=str(data.get("title") or data.get("runbook_line") or data.get("description") or ""),
        )


@dataclass(frozen=True, slots=True)
class Step:
    """One window step from the step journal, with the runbook budget it must fit in."""

    name: str
    budget_s: float | None = None
    duration_s: float | None = None
    exit_code: int | None = None
    started_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Step:
        name = str(data.get("name") or "?")
        budget = _float_or_none(data.get("budget_s"))
        exit_code = data.get("exit_code")
        return cls(
            name=name,
            budget_s=budget if budget is not None else budget_for(name),
            duration_s=_float_or_none(data.get("duration_s")),
            exit_code=int(exit_code) if isinstance(exit_code, int | float | str) and str(exit_code).lstrip("-").isdigit() else None,
            started_at=parse_time(data.get("started_at")),
        )

    @property
    def over_budget(self) -> bool:
        return self.budget_s is not None and self.duration_s is not None and self.duration_s > self.budget_s

    @property
    def failed(self) -> bool:
        return self.exit_code not in (None, 0)


@dataclass(frozen=True, slots=True)
class Backup:
    """The pre-migration dump the rollback would restore."""

    path: str
    sha256: str = ""
    size_bytes: int | None = None
    duration_s: float | None = None
    problem: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """Why the verdict is what it is: the deciding check and the matrix row it matched."""

    verdict: str
    deciding_check: str | None = None
    matrix_row: str = ""
    derived: bool = False


@dataclass(slots=True)
class Run:
    """Everything the report and the notifier need from one run directory."""

    run_dir: Path
    run_id: str
    target: str = ""
    verdict: str = "UNKNOWN"
    checks: list[Check] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    backup: Backup | None = None
    decision: Decision | None = None
    manual_items: list[str] = field(default_factory=list)
    reverse_migration: object = None
    raw: Mapping[str, object] = field(default_factory=dict)

    @property
    def summary_path(self) -> Path:
        return self.run_dir / "summary.json"

    @property
    def rehearsal_of(self) -> str:
        """What a rehearsal rehearsed (the code, the dump); empty for a run against a target."""
        return str(self.raw.get("rehearsal_of") or "")

    @property
    def not_applicable(self) -> list[str]:
        """Checks that do not apply to this run (PRE-03/04 inside a rehearsal), with the reason."""
        return [f"{i.get('id')}: {i.get('reason')}" for i in as_list(self.raw.get("not_applicable")) if isinstance(i, dict)]

    def checks_by_phase(self) -> list[tuple[str, list[Check]]]:
        """Checks grouped by phase, phases in window order (unknown phases last, as met)."""
        groups: dict[str, list[Check]] = {}
        for check in self.checks:
            groups.setdefault(check.phase, []).append(check)
        return sorted(groups.items(), key=lambda item: phase_order(item[0]))

    def check(self, check_id: str | None) -> Check | None:
        return next((c for c in self.checks if c.id == check_id), None)


def parse_time(value: object) -> datetime | None:
    """ISO 8601 string or epoch seconds/milliseconds → aware datetime (UTC when naive)."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float):
            seconds = value / 1000 if value > 1e11 else value
            return datetime.fromtimestamp(seconds, tz=UTC)
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _float_or_none(value: object) -> float | None:
    try:
        return float(value) if isinstance(value, int | float | str) and value != "" else None
    except (TypeError, ValueError):
        return None


def as_list(value: object) -> list[object]:
    """A JSON list as a list; anything else (missing, null, a scalar) as no items."""
    return value if isinstance(value, list) else []


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _backup_from(summary: Mapping[str, object], run_dir: Path) -> Backup | None:
    """The backup from summary.json, else a manifest file, else a ``*.sha256`` file in the run dir."""
    candidates: list[object] = [summary.get("backup"), summary.get("backup_manifest")]
    for name in ("backup.json", "backup_manifest.json", "backup-manifest.json", "manifest.json"):
        candidates.append(_read_json(run_dir / name))
    for data in candidates:
        if isinstance(data, dict) and (data.get("path") or data.get("file")):
            size = data.get("size_bytes", data.get("size"))
            return Backup(
                path=str(data.get("path") or data.get("file")),
                sha256=str(data.get("sha256") or ""),
                size_bytes=int(size) if isinstance(size, int | float) and size else None,
                duration_s=_float_or_none(data.get("duration_s")),
                problem=str(data.get("refused") or data.get("error") or ""),
            )
        if isinstance(data, str) and data:
            return Backup(path=data)
    for sha_file in sorted(run_dir.glob("*.sha256")):
        parts = sha_file.read_text(encoding="utf-8", errors="replace").split()
        if len(parts) >= 2:
            return Backup(path=parts[1].lstrip("*"), sha256=parts[0])
    return None


def _decision_from(summary: Mapping[str, object], verdict: str) -> Decision | None:
    data = summary.get("decision")
    if not isinstance(data, dict):
        return None
    row = data.get("matrix_row") or ""
    if isinstance(row, dict):
        row = " — ".join(str(v) for v in row.values() if v)
    elif isinstance(row, list | tuple):
        row = " — ".join(str(v) for v in row if v)
    return Decision(
        verdict=str(data.get("verdict") or verdict),
        deciding_check=str(data["deciding_check"]) if data.get("deciding_check") else None,
        matrix_row=str(row),
    )


def _manual_items(summary: Mapping[str, object]) -> list[str]:
    items = summary.get("manual_items") or []
    out: list[str] = []
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, dict):
            ident = item.get("id") or item.get("check") or ""
            text = item.get("reason") or item.get("message") or item.get("text") or ""
            out.append(f"{ident}: {text}".strip(": ") if ident else str(text))
        else:
            out.append(str(item))
    return [i for i in out if i]


def load_run(run_dir: Path | str) -> Run:
    """Read ``RUN_DIR/summary.json`` (missing file → an empty run with verdict UNKNOWN)."""
    run_dir = Path(run_dir)
    data = _read_json(run_dir / "summary.json")
    summary: Mapping[str, object] = data if isinstance(data, dict) else {}
    if summary and (run_dir / "run.json").exists():  # a window that died reads INTERRUPTED, never GO
        from gate.run import Run as GateRun
        from gate.window.interrupted import effective_summary

        summary = effective_summary(GateRun.open(run_dir)) or summary
    verdict = str(summary.get("verdict") or "UNKNOWN").upper()
    steps = [Step.from_json(s) for s in as_list(summary.get("steps")) if isinstance(s, dict)]
    return Run(
        run_dir=run_dir,
        run_id=str(summary.get("run_id") or run_dir.name),
        target=str(summary.get("target") or ""),
        verdict=verdict,
        checks=[Check.from_json(c) for c in as_list(summary.get("checks")) if isinstance(c, dict)],
        steps=steps,
        started_at=parse_time(summary.get("started_at")),
        finished_at=parse_time(summary.get("finished_at")),
        backup=_backup_from(summary, run_dir),
        decision=_decision_from(summary, verdict),
        manual_items=_manual_items(summary),
        reverse_migration=summary.get("reverse_migration"),
        raw=summary,
    )


def list_runs(base: Path | None = None) -> list[Path]:
    """Run directories (those holding a summary.json), oldest first by the summary's start or mtime."""
    base = DEFAULT_RUNS_DIR if base is None else base
    if not base.is_dir():
        return []
    found = [p for p in base.iterdir() if p.is_dir() and not p.is_symlink() and (p / "summary.json").is_file()]

    def key(path: Path) -> tuple[float, str]:
        summary = _read_json(path / "summary.json")
        started = parse_time(summary.get("started_at")) if isinstance(summary, dict) else None
        return (started.timestamp() if started else (path / "summary.json").stat().st_mtime, path.name)

    return sorted(found, key=key)


def latest_run(base: Path | None = None) -> Path | None:
    """The run ``var/runs/latest`` points at (the gate keeps that link), else the newest; None when none."""
    base = DEFAULT_RUNS_DIR if base is None else base
    link = base / "latest"
    if link.is_symlink() and (link / "summary.json").is_file():
        return link.resolve()
    runs = list_runs(base)
    return runs[-1] if runs else None
