"""Sample run directories for every verdict: the report's test fixtures and a preview.

They follow the contract the gate's plugin and the window write (summary.json in SPEC.md's
shape plus ``started_at``, ``decision``, ``steps[]``, the backup manifest) and their Allure
results are real: a tiny pytest suite, one test per check, is run with ``--alluredir`` so
the report is generated from what allure-pytest actually writes.

``python -m rehearse.report_sample DIR`` writes one run per verdict under DIR.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import toolpaths

REPO: Final = toolpaths.REPO

_BASE_CHECKS: Final[list[tuple[str, str, str, str]]] = [
    ("PRE-01", "preflight", "critical", "stories 13.1-13.3 have gate PASS"),
    ("PRE-02", "preflight", "critical", "CI green for the release commit"),
    ("PRE-05", "preflight", "low", "team notified (notification sent and recorded)"),
    ("PRE-06", "preflight", "critical", "production access: DB reachable, dump privileges"),
    ("ONE-03", "preflight", "critical", "1C XML well-formed, complete, supported version"),
    ("BKP-01", "backup", "critical", "backup file exists, is new, non-empty"),
    ("BKP-03", "backup", "critical", "sha256 recorded and matches the file"),
    ("MIG-01", "migrate", "critical", "pending migrations = the expected plan"),
    ("MIG-04", "migrate", "critical", "protected tables unchanged by migrate"),
    ("FLS-01", "flush", "critical", "flush dry-run touches no protected table"),
    ("IMP-01", "import", "critical", "import finished successfully, no errors in its log"),
    ("PST-01", "postflight", "critical", "Product count = expected from the 1C files"),
    ("PST-03", "postflight", "low", "ColorMapping >= 20"),
    ("PST-08", "postflight", "high", "response time p95 < 500 ms"),
    ("PST-09", "postflight", "critical", "error rate < 1 %"),
]
_STEPS: Final[list[tuple[str, int, float]]] = [
    ("preflight", 300, 6.4), ("backup", 600, 3.1), ("maintenance-on", 120, 1.2), ("deploy", 300, 2.0),
    ("migrate", 180, 4.8), ("pre-import", 300, 1.9), ("flush", 120, 0.9), ("import", 1800, 41.2),
    ("postflight", 300, 7.5), ("maintenance-off", 120, 1.1), ("smoke", 600, 3.3),
]  # fmt: skip
SECRET_URL: Final = "postgresql://gate:Sup3rS3cret-pw@db.internal:5432/freesport"

# verdict → (failed check id or None, message, last step that ran, its exit code, decision row)
SCENARIOS: Final[dict[str, tuple[str | None, str, str, int, str]]] = {
    "GO": (None, "", "smoke", 0, "Every check passed — GO: the migration stands"),
    "NO-GO": ("ONE-03", "goods.xml is truncated at byte 81920 (unclosed <Каталог>)", "preflight", 1,
              "A check failed before the first step that changes data — NO-GO"),
    "ROLLBACK": ("IMP-01", f"import_products_from_1c exited 1: connection to {SECRET_URL} lost", "import", 1,
                 "1C import failed — Critical — rollback: YES — Rollback + investigation"),
    "MONITOR": ("PST-08", "p95 1340 ms over 200 requests (limit 1000 ms)", "smoke", 0,
                "Response time > 1000 ms — High — rollback: MAYBE — Monitor 1 h, then decide"),
    "HOTFIX": ("PST-03", "ColorMapping has 17 rows, expected >= 20 (missing: Бирюзовый, Хаки, Бордовый)", "smoke", 0,
               "Missing ColorMapping — Low — rollback: NO — Hotfix (add the colours)"),
}  # fmt: skip


def build_summary(verdict: str, run_id: str, started: datetime) -> dict[str, Any]:
    """A realistic summary.json for ``verdict`` (SPEC shape plus the optional keys)."""
    failed_id, failed_msg, last_step, last_exit, row = SCENARIOS[verdict]
    phases_run = {"preflight"} if verdict == "NO-GO" else None
    checks: list[dict[str, Any]] = []
    for ident, phase, severity, title in _BASE_CHECKS:
        if ident == failed_id:
            outcome, message = "failed", failed_msg
        elif ident == "PRE-02":
            outcome, message = "skipped", "CI_STATUS_URL not configured: check the release commit's CI by hand"
        elif (phases_run is not None and phase not in phases_run) or (verdict == "ROLLBACK" and phase == "postflight"):
            continue
        else:
            outcome, message = "passed", "ok"
        checks.append({"id": ident, "phase": phase, "severity": severity, "outcome": outcome,
                       "message": message, "duration_s": round(0.05 + len(checks) * 0.13, 2), "title": title})  # fmt: skip
    steps: list[dict[str, Any]] = []
    at = started
    for name, budget, duration in _STEPS:
        exit_code = last_exit if name == last_step else 0
        steps.append({"name": name, "budget_s": budget, "duration_s": duration, "exit_code": exit_code,
                      "started_at": at.isoformat()})  # fmt: skip
        at += timedelta(seconds=duration)
        if name == last_step:
            break
    summary: dict[str, Any] = {
        "run_id": run_id,
        "target": "postgresql://gate:***@127.0.0.1:54329/freesport_rehearsal",
        "verdict": verdict,
        "started_at": started.isoformat(),
        "finished_at": at.isoformat(),
        "checks": checks,
        "steps": steps,
        "decision": {"verdict": verdict, "deciding_check": failed_id, "matrix_row": row},
    }
    if verdict != "NO-GO":
        summary["backup"] = {
            "path": f"var/backups/backup_pre_migration_{started:%Y%m%d_%H%M%S}.dump",
            "sha256": "9f2c4e1ab07d3c5e8f6a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6",
            "size_bytes": 18_374_112,
        }
        summary["reverse_migration"] = {
            "target": "products 0001_initial",
            "command": "manage.py migrate products 0001_initial --noinput",
            "works": True,
            "exit_code": 0,
            "duration_s": 3.4,
            "losses": ["products: 1200 rows before the window, 0 after going back",
                       "products: sku, retail_price, stock_quantity empty (NULL) in every row"],
            "restore_only_way_back": True,
            "conclusion": "`migrate products 0001_initial` runs but does not bring the pre-migration data back "
                          "(2 finding(s)): the restore from the pre-migration backup is the only way back.",
            "tried_on": "a disposable copy of the rehearsal database after the forward run",
        }  # fmt: skip
    return summary


_SUITE: Final = '''
import json
import os
from pathlib import Path

import allure
import pytest

from gate.report.attach import attach_json, attach_text

CHECKS = json.loads(Path(os.environ["SAMPLE_SUMMARY"]).read_text())["checks"]


@pytest.mark.parametrize("check", CHECKS, ids=[c["id"] for c in CHECKS])
def test_check(check):
    """The runbook line this check proves."""
    allure.dynamic.title(check["id"] + " " + check.get("title", ""))
    allure.dynamic.label("as_id", check["id"])
    allure.dynamic.severity({"critical": "critical", "high": "normal", "low": "minor"}[check["severity"]])
    allure.dynamic.tag(check["severity"])
    allure.dynamic.suite(check["phase"])
    allure.dynamic.description(check.get("title", ""))
    if check["id"] == "PST-01":
        attach_json({"products": 1200, "variants": 3480, "expected_products": 1200}, "counts")
        attach_text("DATABASE_URL=' + SECRET_URL + ' was used", "connection")
    if check["outcome"] == "skipped":
        pytest.skip(check["message"])
    assert check["outcome"] == "passed", check["message"]
'''


def run_sample_suite(run_dir: Path) -> None:
    """Run the one-test-per-check suite with ``--alluredir`` so Allure gets real results."""
    work = run_dir / ".sample-suite"
    work.mkdir(parents=True, exist_ok=True)
    (work / "test_sample_checks.py").write_text(textwrap.dedent(_SUITE.replace("' + SECRET_URL + '", SECRET_URL)))
    (work / "pytest.ini").write_text("[pytest]\n")
    env = {**os.environ, "SAMPLE_SUMMARY": str(run_dir / "summary.json"), "PYTHONPATH": str(REPO)}
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(work / "pytest.ini"),
         "--rootdir", str(work), f"--alluredir={run_dir / 'allure-results'}", str(work)],
        cwd=work, env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def write_artifacts(run_dir: Path, verdict: str) -> None:
    """The files the window leaves in a run dir that the report attaches."""
    (run_dir / "counts.json").write_text(json.dumps({"before": {"products": 3600}, "after": {"products": 1200, "product_variants": 3480}}))
    (run_dir / "flush_dry_run.txt").write_text("products: 3600 rows would be deleted\nproduct_variants: 0\norders: untouched\n")
    if verdict != "NO-GO":
        (run_dir / "snapshot_diff.json").write_text(json.dumps({"orders": "equal", "order_items": "equal", "users": "equal"}))
        (run_dir / "latency.json").write_text(json.dumps({"p50_ms": 41, "p95_ms": 1340 if verdict == "MONITOR" else 120}))


def write_rollback_record(run_dir: Path) -> None:
    """``rollback.json`` as the rollback script writes it after a rehearsal."""
    phases = {"stop": 0.4, "restore": 12.8, "swap": 0.3, "checkout": 1.1, "start": 2.2}
    record = {
        "status": "done",
        "duration_s": round(sum(phases.values()), 1),
        "phases": {name: {"status": "done", "duration_s": took} for name, took in phases.items()},
        "db_state": "restored from the pre-migration backup (sha256 verified); the previous release serves",
    }
    (run_dir / "rollback.json").write_text(json.dumps(record, indent=2))


def make_sample_run(base: Path, verdict: str, *, run_id: str | None = None, started: datetime | None = None,
                    with_allure: bool = True) -> Path:  # fmt: skip
    """Write a sample run for ``verdict`` under ``base`` and return its directory."""
    started = started or datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    run_id = run_id or f"{started:%Y%m%dT%H%M%SZ}-{verdict.lower()}"
    run_dir = base / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "summary.json").write_text(json.dumps(build_summary(verdict, run_id, started), indent=2, ensure_ascii=False))
    write_artifacts(run_dir, verdict)
    if verdict != "NO-GO":
        write_rollback_record(run_dir)
    if with_allure:
        run_sample_suite(run_dir)
    return run_dir


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    base = Path(args[0] if args else "var/runs")
    start = datetime.now(UTC).replace(microsecond=0)
    for i, verdict in enumerate(SCENARIOS):
        path = make_sample_run(base, verdict, started=start + timedelta(minutes=i))
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
