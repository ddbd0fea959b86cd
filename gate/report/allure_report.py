"""The Allure 3 single-file report of a run, with history across runs and no external request.

The run's ``allure-results`` are completed in a staging copy (:mod:`gate.report.stage`),
``allure awesome --single-file`` renders it; :mod:`gate.report.sanitize` then strips Allure's analytics before the file is written.

History: each report keeps ``report/history.jsonl``; the next report starts from the last
entry of every earlier run, so regenerating a run never duplicates it and an old run's
report never shows later runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import toolpaths
from gate.redact import redact
from gate.report.run_view import Run, list_runs
from gate.report.sanitize import find_external, strip_external
from gate.report.stage import Stage

REPO: Final = toolpaths.REPO
REPORT_DIRNAME: Final = "report"
HISTORY_NAME: Final = "history.jsonl"
HISTORY_LIMIT: Final = 30


class ReportError(RuntimeError):
    """The report could not be generated (Allure missing or failing, external resource left)."""


@dataclass(frozen=True, slots=True)
class AllureReport:
    """Where the generated report is and how long Allure took."""

    index: Path
    history: Path
    seconds: float


def _history_entry(run_dir: Path) -> str | None:
    path = run_dir / REPORT_DIRNAME / HISTORY_NAME
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except OSError:
        return None
    return lines[-1] if lines else None


def _seed_history(run: Run, runs_base: Path | None, target: Path) -> int:
    """Write the earlier runs' history entries into ``target``; return how many."""
    earlier: list[str] = []
    if runs_base is not None:
        runs = list_runs(runs_base)
        mine = run.run_dir.resolve()
        position = next((i for i, p in enumerate(runs) if p.resolve() == mine), len(runs))
        earlier = [e for p in runs[:position] if (e := _history_entry(p))]
    target.write_text("".join(e + "\n" for e in earlier[-HISTORY_LIMIT:]), encoding="utf-8")
    return len(earlier)


def allure_bin() -> Path | None:
    """Allure 3 as ``scripts/bootstrap/report-tools.sh`` installed it (npm ci), or None."""
    return toolpaths.optional("allure")


def _allure_env() -> dict[str, str]:
    """A minimal environment for Allure: no CI variables (it would embed job URLs), no secrets."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "NODE_EXTRA_CA_CERTS", "TZ")
    return {k: os.environ[k] for k in keep if k in os.environ}


def report_name(run: Run) -> str:
    return redact(f"FreeSport migration gate — run {run.run_id} — verdict {run.verdict}")


def generate(run: Run, runs_base: Path | None = None) -> AllureReport:
    """Render ``RUN_DIR/report/index.html`` (single file, sanitized) and its history file.

    Allure and the Node.js that runs it are the ones the bootstrap recorded (:mod:`toolpaths`).
    """
    try:
        allure, node = toolpaths.find("allure"), toolpaths.find("node")
    except toolpaths.ToolMissing as exc:
        raise ReportError(f"Allure 3 is not installed: {exc}") from None
    out = run.run_dir / REPORT_DIRNAME
    out.mkdir(parents=True, exist_ok=True)
    history = out / HISTORY_NAME
    with tempfile.TemporaryDirectory(prefix="gate-allure-") as tmp:
        stage = Stage(run, Path(tmp) / "results")
        stage.dir.mkdir()
        stage.copy_results()
        stage.add_artifacts()
        stage.add_steps()
        stage.add_verdict()
        stage.add_environment()
        tmp_history = Path(tmp) / HISTORY_NAME
        _seed_history(run, runs_base, tmp_history)
        build = Path(tmp) / "build"
        cmd = [str(node), str(allure.resolve()), "awesome", "--single-file", "--report-name", report_name(run), "--output", str(build),
               "--history-path", str(tmp_history), str(stage.dir)]  # fmt: skip
        started = datetime.now(UTC)
        proc = subprocess.run(cmd, cwd=REPO, env=_allure_env(), capture_output=True, text=True, timeout=300, check=False)
        seconds = (datetime.now(UTC) - started).total_seconds()
        if proc.returncode != 0 or not (build / "index.html").exists():
            raise ReportError(f"allure awesome failed ({proc.returncode}): {redact(proc.stderr or proc.stdout)[-2000:]}")
        html = strip_external((build / "index.html").read_text(encoding="utf-8"))
        left = find_external(html)
        if left:
            raise ReportError(f"external resources left in the report: {left[:5]}")
        index = out / "index.html"
        index.write_text(html, encoding="utf-8")
        shutil.copyfile(tmp_history, history)
    return AllureReport(index=index, history=history, seconds=seconds)
