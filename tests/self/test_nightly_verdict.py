"""The nightly workflow writes the rehearsal's verdict by name into the job summary; make's own exit code
(2 on anything but GO) is documented as such, with where the verdict's code is."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import yaml

from gate.console import main as console_main

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "nightly-rehearsal.yml"


def _verdict_step() -> str:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["rehearsal"]["steps"]
    return next(s["run"] for s in steps if str(s.get("name", "")).startswith("Verdict"))


def _summary(verdict: str, code: int, check: str | None, row: str) -> dict[str, object]:
    return {"run_id": "r", "verdict": verdict, "checks": [],
            "decision": {"verdict": verdict, "exit_code": code, "deciding_check": check, "matrix_row": row}}


def _run_step(main: Path) -> str:
    """The workflow's Verdict step with bash, in a checkout-like directory; what it wrote to the job summary."""
    (main / ".venv").symlink_to(REPO / ".venv")
    (main / "gate").symlink_to(REPO / "gate")
    job_summary = main.parent / "step_summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(job_summary)}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(["bash", "-e", "-c", _verdict_step()], cwd=main, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return job_summary.read_text()


def test_the_nightly_job_summary_names_the_rehearsal_verdict(tmp_path: Path) -> None:
    main = tmp_path / "main"
    rehearsal = main / "var" / "runs" / "20261205T010000Z-ab12-rehearsal"
    rehearsal.mkdir(parents=True)
    (rehearsal / "summary.json").write_text(json.dumps(
        _summary("NO-GO", 10, "MIG-03", "the plan deletes orders")))
    time.sleep(0.05)
    later = main / "var" / "runs" / "20261205T020000Z-cd34-rollback-rehearsal"  # never this job's verdict
    later.mkdir(parents=True)
    (later / "summary.json").write_text(json.dumps(_summary("GO", 0, None, "every check passed")))
    text = _run_step(main)
    assert "### Verdict: **NO-GO** (its code 10)" in text, text
    assert "MIG-03 — the plan deletes orders" in text and rehearsal.name in text
    assert "rollback-rehearsal" not in text


def test_no_run_is_said_so(tmp_path: Path) -> None:
    main = tmp_path / "main"
    main.mkdir()
    assert "### Verdict: none (the rehearsal could not run" in _run_step(main)


def test_console_markdown_exits_with_the_verdict_code(tmp_path: Path, capsys: object) -> None:
    (tmp_path / "summary.json").write_text(json.dumps(_summary("MONITOR", 30, "MON-01", "5xx above 2%")))
    assert console_main(["--markdown", str(tmp_path)]) == 30


def test_readme_makefile_and_docs_say_make_exits_2_and_where_the_verdict_code_is() -> None:
    readme = " ".join((REPO / "README.md").read_text().split())
    assert "`make` itself exits 2 on anything but GO" in readme and "summary.json" in readme
    assert "python -m gate.console" in readme
    help_line = next(line for line in (REPO / "Makefile").read_text().splitlines() if line.startswith("rehearsal:"))
    assert re.search(r"make exits 2 on any verdict but GO", help_line), help_line
    assert "summary.json" in help_line and "gate.console" in help_line
    doc = " ".join((REPO / "docs" / "rehearsal.md").read_text().split())
    assert "`make rehearsal` itself exits 2" in doc and "`python -m gate.console <run>`" in doc
