"""The staging copy of a run's allure-results that the report completes before Allure renders it.

The originals stay as the gate's plugin wrote them. The copy gets every string redacted, the
check id in front of each test name and every check under one "checks → phase" tree, one
result per window step (so Allure's timeline shows the window), a "Verdict" result, the
run's metadata (environment.properties), and the run dir's artifacts (count tables, dry-run
plan, snapshot diff, latency histogram, step logs) attached to their check and to a
"Run artifacts" result.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from gate.redact import redact, redact_obj
from gate.report.matrix import decide_explanation
from gate.report.run_view import Check, Run
from gate.window.budgets import human_duration

TEXT_SUFFIXES: Final = {".json", ".jsonl", ".txt", ".log", ".sql", ".csv", ".tsv", ".md", ".html", ".xml", ".yaml", ".yml", ".svg"}
ARTIFACTS: Final[tuple[tuple[str, str, str | None], ...]] = (
    ("backup.json", "backup manifest", "BKP-03"),
    ("pre_snapshot.json", "pre-migration snapshot", "PST-07"),
    ("mig04_before.json", "protected tables before migrate", "MIG-04"),
    ("onec_before.json", "1C package hashes before the import", "IMP-03"),
    ("onec_package.json", "1C package facts (expected counts)", "PST-01"),
    ("prices_stock.json", "prices and stock: 1C package vs database", "PST-11"),
    ("flush_plan.json", "flush dry-run plan", "FLS-01"),
    ("flush_result.json", "flush result", "FLS-02"),
    ("monitor.jsonl", "monitoring", "MON-01"),
    ("runbook-lint.json", "runbook lint", None),
    ("steps/*.log", "step log", None),
    ("*count*", "count table", "PST-01"),
    ("*flush*dry*", "flush dry-run plan", "FLS-01"),
    ("*dry*run*", "dry-run plan", "FLS-01"),
    ("*migrat*plan*", "migration plan", "MIG-01"),
    ("*plan*", "plan", "MIG-01"),
    ("*.sql", "migration SQL", "MIG-03"),
    ("*snapshot*diff*", "snapshot differences", "PST-07"),
    ("*diff*", "differences", "PST-07"),
    ("*latency*", "latency", "PST-08"),
    ("*histogram*", "latency histogram", "PST-08"),
    ("*rollback*", "rollback", "RBK-01"),
    ("*reverse*", "reverse migration", "RBK-01"),
    ("notifications.jsonl", "notifications sent", "PRE-05"),
    ("journal.jsonl", "step journal", None),
)
_MIME: Final = {
    ".json": "application/json", ".txt": "text/plain", ".log": "text/plain", ".sql": "text/plain",
    ".csv": "text/csv", ".tsv": "text/tab-separated-values", ".md": "text/markdown", ".png": "image/png",
    ".svg": "image/svg+xml", ".html": "text/html", ".xml": "application/xml", ".yaml": "text/plain", ".yml": "text/plain",
    ".jsonl": "text/plain",
}  # fmt: skip
_SKIP_NAMES: Final = {"summary.json", "run.json", "signoff.md", "signoff.html", "signoff.png"}
_ARTIFACT_DIRS: Final = {"steps", "artifacts", "attachments"}
_MAX_ATTACHMENT_BYTES: Final = 5 * 1024 * 1024


def _labels(result: dict[str, Any]) -> dict[str, str]:
    return {str(lbl.get("name")): str(lbl.get("value")) for lbl in result.get("labels") or [] if isinstance(lbl, dict)}


def _tree_labels(labels: list[dict[str, str]], check: Check | None) -> list[dict[str, str]]:
    """One tree for every check, "checks" → phase, whatever package or class the test lives in."""
    kept = [lbl for lbl in labels if lbl.get("name") not in ("parentSuite", "suite", "subSuite")]
    phase = check.phase if check else next((lbl["value"] for lbl in labels if lbl.get("name") == "suite"), "other")
    return [*kept, {"name": "parentSuite", "value": "checks"}, {"name": "suite", "value": phase}]


def _ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def _result(name: str, status: str, *, labels: dict[str, str], description: str = "", start: int | None = None,
            stop: int | None = None, message: str = "", attachments: list[dict[str, str]] | None = None) -> dict[str, Any]:  # fmt: skip
    now = int(datetime.now(UTC).timestamp() * 1000)
    ident = uuid.uuid5(uuid.NAMESPACE_URL, f"gate-report:{labels.get('suite', '')}:{name}").hex
    return {
        "uuid": str(uuid.uuid4()),
        "historyId": ident,
        "testCaseId": ident,
        "fullName": f"gate.report#{labels.get('suite', '')}#{name}",
        "name": name,
        "status": status,
        "statusDetails": {"message": message} if message else {},
        "description": description,
        "start": start or now,
        "stop": stop or start or now,
        "labels": [{"name": k, "value": v} for k, v in labels.items()],
        "attachments": attachments or [],
    }


def _iter_artifacts(run_dir: Path) -> Iterator[Path]:
    """Top-level files of the run dir, and those under ``steps/`` or ``artifacts/`` (not the 1C copy, not Allure's)."""
    for path in sorted(run_dir.rglob("*")):
        rel = path.relative_to(run_dir)
        nested_ok = len(rel.parts) == 2 and rel.parts[0] in _ARTIFACT_DIRS
        if not (len(rel.parts) == 1 or nested_ok) or rel.name.startswith(".") or not path.is_file():
            continue
        if path.name in _SKIP_NAMES or path.suffix.lower() not in _MIME or path.stat().st_size > _MAX_ATTACHMENT_BYTES:
            continue
        yield path


def _artifact_check(path: Path) -> tuple[str, str | None]:
    for pattern, title, check_id in ARTIFACTS:
        if path.match(pattern):
            return title, check_id
    return "artifact", None


class Stage:
    """A writable copy of the run's allure-results that the report completes."""

    def __init__(self, run: Run, directory: Path) -> None:
        self.run = run
        self.dir = directory
        self.by_check: dict[str, dict[str, Any]] = {}

    def copy_results(self) -> None:
        source = self.run.run_dir / "allure-results"
        if not source.is_dir():
            return
        for path in source.iterdir():
            if not path.is_file():
                continue
            target = self.dir / path.name
            if path.name.endswith("-result.json"):
                self._copy_result(path, target)
            elif path.suffix.lower() in TEXT_SUFFIXES or path.name.endswith(".properties"):
                target.write_text(redact(path.read_text(encoding="utf-8", errors="replace")), encoding="utf-8")
            else:
                shutil.copyfile(path, target)

    def _copy_result(self, path: Path, target: Path) -> None:
        try:
            result = redact_obj(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            return
        labels = _labels(result)
        check_id = labels.get("as_id") or labels.get("allure_id") or labels.get("check")
        if check_id:
            name = str(result.get("name") or "")
            if check_id not in name:
                result["name"] = f"{check_id} {name}".strip()
            result["labels"] = _tree_labels(result.get("labels") or [], self.run.check(check_id))
            check = self.run.check(check_id)
            if check and check.title and not result.get("description"):
                result["description"] = redact(check.title)
            self.by_check[check_id] = result
        result["_target"] = str(target)

        target.write_text(json.dumps({k: v for k, v in result.items() if k != "_target"}), encoding="utf-8")

    def attach(self, result: dict[str, Any], path: Path, title: str) -> dict[str, str]:
        source = f"{uuid.uuid4()}-attachment{path.suffix.lower()}"
        if path.suffix.lower() in TEXT_SUFFIXES:
            (self.dir / source).write_text(redact(path.read_text(encoding="utf-8", errors="replace")), encoding="utf-8")
        else:
            shutil.copyfile(path, self.dir / source)
        entry = {"name": f"{title}: {path.name}", "source": source, "type": _MIME[path.suffix.lower()]}
        result.setdefault("attachments", []).append(entry)
        return entry

    def add_artifacts(self) -> None:
        """Attach run-dir artifacts to their check (when it ran) and to a "run artifacts" result."""
        entries: list[dict[str, str]] = []
        touched: set[str] = set()
        holder = _result("Run artifacts", "passed", labels={"parentSuite": "run", "suite": "artifacts"},
                         description="Files the window left in the run directory.")  # fmt: skip
        for path in _iter_artifacts(self.run.run_dir):
            title, check_id = _artifact_check(path)
            entries.append(self.attach(holder, path, title))
            if check_id and check_id in self.by_check:
                self.attach(self.by_check[check_id], path, title)
                touched.add(check_id)
        for check_id in touched:
            result = self.by_check[check_id]
            Path(result["_target"]).write_text(json.dumps({k: v for k, v in result.items() if k != "_target"}))
        if entries:
            self.write(holder)

    def add_steps(self) -> None:
        """One result per window step, so the Allure timeline shows the window as it ran."""
        for step in self.run.steps:
            start = _ms(step.started_at)
            stop = start + int((step.duration_s or 0) * 1000) if start is not None else None
            status = "failed" if step.failed else "passed"
            budget = human_duration(step.budget_s)
            message = f"exit code {step.exit_code}" if step.failed else ("over budget" if step.over_budget else "")
            description = f"{human_duration(step.duration_s)} of the runbook's {budget}; exit code {step.exit_code}"
            labels = {"parentSuite": "window", "suite": "steps", "host": "window", "thread": "window", "tag": "step"}
            self.write(_result(f"step {step.name}", status, labels=labels, description=description,
                               start=start, stop=stop, message=message))  # fmt: skip

    def add_verdict(self) -> None:
        decision = decide_explanation(self.run)
        text = f"Verdict {self.run.verdict}"
        if decision.deciding_check:
            text += f" — deciding check {decision.deciding_check}"
        status = "passed" if self.run.verdict == "GO" else "failed"
        self.write(_result(text, status, labels={"parentSuite": "run", "suite": "verdict", "severity": "blocker"},
                           description=redact(f"Matrix row: {decision.matrix_row}"), message=redact(decision.matrix_row)))  # fmt: skip

    def add_environment(self) -> None:
        decision = decide_explanation(self.run)
        lines = {
            "run_id": self.run.run_id,
            "target": self.run.target,
            "verdict": self.run.verdict,
            "deciding_check": decision.deciding_check or "none",
            "backup_sha256": self.run.backup.sha256 if self.run.backup else "none",
        }
        for outcome in ("failed", "skipped", "passed"):
            ids = [c.id for c in self.run.checks if c.outcome == outcome]
            if ids:
                lines[f"checks_{outcome}"] = " ".join(ids)
        body = "\n".join(f"{k}={redact(v).replace(chr(10), ' ')}" for k, v in lines.items())
        (self.dir / "environment.properties").write_text(body + "\n", encoding="utf-8")

    def write(self, result: dict[str, Any]) -> None:
        (self.dir / f"{result['uuid']}-result.json").write_text(json.dumps(result), encoding="utf-8")
