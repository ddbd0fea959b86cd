"""A run of the gate: its directory, its step journal and its ``summary.json``.

One window is one run: every pytest session and step script of ``make migrate`` shares
``RUN_DIR`` (or ``RUN_ID``), so later phases append to the same record. ``summary.json``
keeps SPEC.md's shape (``run_id``, ``target``, ``verdict``, ``checks[]``, ``steps[]``) plus
``started_at``, ``finished_at``, ``release_tag``, ``decision`` and ``manual_items``.

>>> run = Run.open(runs_root=Path(tempfile.mkdtemp()), run_id="r1")
>>> run.record_step(StepRecord("backup", budget_s=600, duration_s=3.2, exit_code=0))
>>> run.steps()[0]["name"]
'backup'
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, NotRequired, Required, TypedDict, cast

from gate import checks
from gate.types import Outcome, Severity
from gate.verdict import CheckResult, Decision, decide

NOT_APPLICABLE: Final = "not applicable in a rehearsal"
"""How PRE-03/04 skip inside a rehearsal: not a manual sign-off item (the sign-off lists them apart)."""
SUMMARY = "summary.json"
JOURNAL = "journal.jsonl"
RUN_INFO = "run.json"


REFUSED_EXIT = 3
"""A step refused by the guard (gate/window/guard.py) exits 3 having run nothing."""


class CheckRow(TypedDict):
    """One entry of ``checks[]`` (SPEC.md's shape; ``effective_severity`` when it differs)."""

    id: str
    phase: str
    severity: str
    outcome: str
    message: str
    duration_s: float
    effective_severity: NotRequired[str]
    runbook_line: NotRequired[str]


class StepRow(TypedDict, total=False):
    """One line of ``journal.jsonl`` (``event`` start, end or note) or one entry of ``steps[]``."""

    name: Required[str]
    event: str
    budget_s: float | None
    duration_s: float | None
    exit_code: int | None
    started_at: str
    finished_at: str | None
    output_tail: str
    note: str
    at: str


class DecisionRow(TypedDict):
    """``decision`` of the summary: the verdict, the check that decided it, the matrix row, the exit code."""

    verdict: str
    deciding_check: str | None
    matrix_row: str
    exit_code: int


class ManualItem(TypedDict):
    """A skipped check a person signs off by hand (``manual_items[]``)."""

    id: str
    reason: str
    runbook_line: str


class NotApplicable(TypedDict):
    """A check that does not apply to this target (``not_applicable[]``)."""

    id: str
    reason: str


class Closed(TypedDict):
    """Who closed an interrupted window on purpose, when and why (``make window-close``)."""

    by: str
    at: str
    reason: str


class Override(TypedDict):
    """A guard refusal a person overrode (``overrides.jsonl``, ``overrides[]`` of the summary)."""

    step: str
    reason: str
    overridden: list[str]
    at: str


class RunInfo(TypedDict):
    """``run.json``: the run's id and when it started."""

    run_id: str
    started_at: str


class Summary(TypedDict, total=False):
    """``summary.json``: SPEC.md's keys, then what the window, the guard and the rehearsal add."""

    run_id: str
    target: str
    verdict: str
    checks: list[CheckRow]
    steps: list[StepRow]
    started_at: str
    finished_at: str
    release_tag: str
    decision: DecisionRow
    manual_items: list[ManualItem]
    not_applicable: list[NotApplicable]
    settings_warnings: list[str]
    destructive_started: bool
    first_destructive_step: str
    interrupted: dict[str, object]
    closed: Closed
    site_in_maintenance: str
    overrides: list[Override]
    # the rehearsal's (rehearse/): free-form records the report reads
    rehearsal: dict[str, object]
    reverse_migration: object
    backup: object
    backup_manifest: object


def now_utc() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def new_run_id() -> str:
    """A sortable, unique run id: ``20260124T021500Z-1a2b``."""
    return now_utc().strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One entry of the step journal (a step started, or a step ended with its exit code).

    >>> StepRecord("import", budget_s=1800).event
    'start'
    """

    name: str
    budget_s: float | None = None
    duration_s: float | None = None
    exit_code: int | None = None
    started_at: str = field(default_factory=lambda: now_utc().isoformat())
    finished_at: str | None = None
    output_tail: str = ""

    @property
    def event(self) -> str:
        """``start`` while the step runs, ``end`` once it has an exit code."""
        return "start" if self.exit_code is None else "end"


@dataclass(frozen=True, slots=True)
class Run:
    """The run directory and what it records.

    >>> Run.open(runs_root=Path(tempfile.mkdtemp()), run_id="x").dir.name
    'x'
    """

    run_id: str
    dir: Path
    started_at: datetime

    @classmethod
    def open(cls, run_dir: Path | None = None, run_id: str | None = None, runs_root: Path | None = None) -> Run:
        """Open (creating when new) the run named by ``run_dir``, else ``runs_root/run_id``, else a new id."""
        if run_dir is None:
            root = runs_root or Path(__file__).resolve().parent.parent / "var" / "runs"
            run_dir = root / (run_id or new_run_id())
        run_dir = run_dir.resolve()
        run_dir.mkdir(parents=True, exist_ok=True)
        info_path = run_dir / RUN_INFO
        info: RunInfo | None = None
        with contextlib.suppress(OSError, ValueError):
            info = json.loads(info_path.read_text())
        if not info or not info.get("run_id"):
            info = {"run_id": run_id or run_dir.name, "started_at": now_utc().isoformat()}
            _atomic_write(info_path, json.dumps(info, indent=2))
            _point_latest(run_dir)
        return cls(info["run_id"], run_dir, datetime.fromisoformat(info["started_at"]))

    @property
    def summary_path(self) -> Path:
        """``RUN_DIR/summary.json``."""
        return self.dir / SUMMARY

    def read_summary(self) -> Summary:
        """The summary written so far (empty when none)."""
        try:
            return cast(Summary, json.loads(self.summary_path.read_text()))
        except (OSError, ValueError):
            return {}

    def record_step(self, record: StepRecord) -> None:
        """Append one journal entry (``journal.jsonl``): call at a step's start and at its end."""
        with (self.dir / JOURNAL).open("a") as fh:
            fh.write(json.dumps({**asdict(record), "event": record.event}) + "\n")

    def journal(self) -> list[StepRow]:
        """Every journal entry in order."""
        path = self.dir / JOURNAL
        if not path.exists():
            return []
        return [cast(StepRow, json.loads(line)) for line in path.read_text().splitlines() if line.strip()]

    def steps(self) -> list[StepRow]:
        """SPEC.md's ``steps[]``: per step its last journal state (name, budget_s, duration_s, exit_code, ...)."""
        latest: dict[str, StepRow] = {}
        for entry in self.journal():
            given = {k: v for k, v in entry.items() if k != "event" and v is not None}
            latest[entry["name"]] = cast(StepRow, {**latest.get(entry["name"], {}), **given})
        for step in latest.values():
            step.setdefault("exit_code", None)
            step.setdefault("duration_s", None)
        return list(latest.values())

    def destructive_started(self) -> bool:
        """True once a destructive step (migrate, flush, import) has started in this run."""
        if (self.dir / "point_of_no_return.json").exists():  # read from the target (gate/db/point_of_no_return.py)
            return True
        names: set[str | None] = set()
        for entry in self.journal():  # a step the guard refused (exit 3) ran nothing: it does not count
            if entry.get("exit_code") == REFUSED_EXIT:
                names.discard(entry.get("name"))
            elif entry.get("event") != "note":
                names.add(entry.get("name"))
        names |= {s.get("name") for s in self.read_summary().get("steps", []) if s.get("exit_code") != REFUSED_EXIT}
        return bool(names & checks.DESTRUCTIVE_STEPS)


def results_from_summary(summary: Summary) -> list[CheckResult]:
    """The ``checks[]`` of a summary as results (unknown severities default to the registry's)."""
    results = []
    for row in summary.get("checks", []):
        known = checks.CHECKS.get(row["id"])
        severity = Severity(row.get("effective_severity") or row.get("severity") or (known.severity.value if known else ""))
        results.append(
            CheckResult(
                row["id"], Outcome(row["outcome"]), severity, row.get("message", ""),
                float(row.get("duration_s") or 0), row.get("phase", ""),
            )
        )
    return results


def check_row(result: CheckResult) -> CheckRow:
    """One ``checks[]`` entry in SPEC.md's shape (+ ``effective_severity`` when it differs)."""
    known = checks.CHECKS.get(result.id)
    row: CheckRow = {
        "id": result.id,
        "phase": result.phase or (known.phase.value if known else ""),
        "severity": known.severity.value if known else result.severity.value,
        "outcome": result.outcome.value,
        "message": result.message,
        "duration_s": round(result.duration_s, 3),
    }
    if known and result.severity is not known.severity:
        row["effective_severity"] = result.severity.value
    if known:
        row["runbook_line"] = known.line
    return row


def write_summary(
    run: Run,
    results: Iterable[CheckResult],
    target: str,
    release_tag: str = "",
    extra: Summary | None = None,
    after_destructive: bool = False,
) -> tuple[Summary, Decision]:
    """Merge ``results`` into ``RUN_DIR/summary.json`` (same id → replaced), decide, write atomically.

    Later phases of one window append their checks; a re-run of a check replaces its row.
    The verdict is decided over every check recorded in the run, as after the point of no return
    when ``after_destructive`` (pytest ``--after-destructive``) or the run's record says a
    destructive step started.
    """
    existing = run.read_summary()
    rows = {row["id"]: row for row in existing.get("checks", [])}
    for result in results:
        rows[result.id] = check_row(result)
    order = list(checks.CHECKS)
    ordered = sorted(rows.values(), key=lambda r: order.index(r["id"]) if r["id"] in checks.CHECKS else len(order))
    decision = decide(results_from_summary({"checks": ordered}), after_destructive or run.destructive_started())
    summary: Summary = {
        "run_id": run.run_id,
        "target": target,
        "verdict": decision.verdict.value,
        "checks": ordered,
        "steps": run.steps() or existing.get("steps", []),
        "started_at": run.started_at.isoformat(),
        "finished_at": now_utc().isoformat(),
        "release_tag": release_tag or existing.get("release_tag", ""),
        "decision": {
            "verdict": decision.verdict.value,
            "deciding_check": decision.deciding_check,
            "matrix_row": decision.matrix_row,
            "exit_code": decision.exit_code,
        },
        "manual_items": [
            {"id": r["id"], "reason": r["message"], "runbook_line": r.get("runbook_line", "")}
            for r in ordered
            if r["outcome"] == Outcome.SKIPPED.value and NOT_APPLICABLE not in str(r.get("message") or "")
        ],
        "not_applicable": [{"id": r["id"], "reason": r["message"]} for r in ordered
                           if r["outcome"] == Outcome.SKIPPED.value and NOT_APPLICABLE in str(r.get("message") or "")],
    }
    kept = {k: v for k, v in {**existing, **(extra or {})}.items() if k not in summary}
    summary = cast(Summary, {**summary, **kept})
    _atomic_write(run.summary_path, json.dumps(summary, indent=2, ensure_ascii=False))
    return summary, decision


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _point_latest(run_dir: Path) -> None:
    link = run_dir.parent / "latest"
    with contextlib.suppress(OSError):
        tmp = run_dir.parent / f".latest-{secrets.token_hex(3)}"
        tmp.symlink_to(run_dir.name)
        os.replace(tmp, link)
