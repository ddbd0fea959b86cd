"""The nightly workflow's fault matrix: one job per fault (the list from ``python -m rehearse faults --json``),
and a last job whose summary step writes the table fault → expected → verdict and fails unless every fault
gave the verdict the matrix demands. The step's own script runs here on rows like the fault jobs write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from rehearse import faults

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = yaml.safe_load((REPO / ".github" / "workflows" / "nightly-rehearsal.yml").read_text())
MATRIX_EVENT = "github.event.schedule == '0 23 * * 6'"


def _summary_step() -> str:
    steps = WORKFLOW["jobs"]["fault-matrix-summary"]["steps"]
    return next(s["run"] for s in steps if str(s.get("name", "")).startswith("Table fault"))


def _run_summary(tmp_path: Path, rows: dict[str, dict[str, object]], names: list[str]) -> tuple[int, str]:
    (tmp_path / "rows").mkdir()
    for name, row in rows.items():
        (tmp_path / "rows" / f"{name}.json").write_text(json.dumps(row))
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "FAULTS": json.dumps(names)}
    proc = subprocess.run(["bash", "-e", "-c", _summary_step()], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    return proc.returncode, summary.read_text() if summary.exists() else proc.stderr


def test_one_job_per_fault_of_the_harness() -> None:
    jobs = WORKFLOW["jobs"]
    assert jobs["faults"]["if"] == MATRIX_EVENT
    listing = subprocess.run([sys.executable, "-m", "rehearse", "faults", "--json"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout
    assert json.loads(listing) == list(faults.FAULTS)
    assert "rehearse faults --json" in next(s["run"] for s in jobs["faults"]["steps"] if s.get("id") == "list")
    fault = jobs["fault"]
    assert fault["needs"] == "faults" and fault["strategy"]["fail-fast"] is False
    assert fault["strategy"]["matrix"]["fault"] == "${{ fromJSON(needs.faults.outputs.names) }}"
    run = "\n".join(str(s.get("run", "")) for s in fault["steps"])
    assert '--fault "${{ matrix.fault }}"' in run
    summary = jobs["fault-matrix-summary"]
    assert set(summary["needs"]) == {"faults", "fault"} and "always()" in summary["if"]
    # the plain rehearsal job does not run (and report "no verdict") on the matrix's own event
    assert jobs["rehearsal"]["if"] == MATRIX_EVENT.replace("==", "!=")


def test_the_summary_table_names_every_fault_its_expected_verdict_and_fails_on_a_miss(tmp_path: Path) -> None:
    names = ["migration-fails", "corrupt-backup", "slow-api"]
    rows = {
        "migration-fails": {"fault": "migration-fails", "expected": "ROLLBACK", "verdict": "ROLLBACK",
                            "seconds": 41.5, "ok": True, "problems": []},
        "corrupt-backup": {"fault": "corrupt-backup", "expected": "NO-GO", "verdict": "GO", "seconds": 30,
                           "ok": False, "problems": ["corrupt-backup: verdict GO | the matrix demands NO-GO"]},
    }
    code, text = _run_summary(tmp_path, rows, names)
    assert code == 1, text
    assert "| migration-fails | ROLLBACK | ROLLBACK | 41.5 | yes |" in text
    assert "| corrupt-backup | NO-GO | GO | 30 | **NO** corrupt-backup: verdict GO \\| the matrix demands NO-GO |" in text
    assert "| slow-api | ? | ? | ? | **NO** the job left no result |" in text
    assert "1 of 3 faults as the matrix demands" in text


def test_the_summary_passes_when_every_fault_holds(tmp_path: Path) -> None:
    rows = {n: {"fault": n, "expected": f.expected.value, "verdict": f.expected.value, "seconds": 1, "ok": True,
                "problems": []} for n, f in faults.FAULTS.items()}
    code, text = _run_summary(tmp_path, rows, list(faults.FAULTS))
    assert code == 0, text
    assert text.count("| yes |") == len(faults.FAULTS)
