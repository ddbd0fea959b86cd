"""Which run-dir files the Allure report attaches, and to which check."""

from __future__ import annotations

import json
from pathlib import Path

from gate.report.run_view import load_run
from gate.report.stage import Stage, _artifact_check, _iter_artifacts


def _touch(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_windows_files_go_to_their_checks(tmp_path: Path) -> None:
    names = {
        "backup.json": "BKP-03", "pre_snapshot.json": "PST-07", "mig04_before.json": "MIG-04",
        "onec_before.json": "IMP-03", "onec_package.json": "PST-01", "flush_plan.json": "FLS-01",
        "flush_result.json": "FLS-02", "latency_burst.json": "PST-08", "monitor.jsonl": "MON-01",
        "counts.json": "PST-01", "snapshot_diff.json": "PST-07", "latency_histogram.png": "PST-08",
        "rollback.json": "RBK-01", "notifications.jsonl": "PRE-05",
    }  # fmt: skip
    for name, check_id in names.items():
        assert _artifact_check(tmp_path / name)[1] == check_id, name


def test_only_the_run_dirs_own_files_are_attached(tmp_path: Path) -> None:
    keep = [_touch(tmp_path / "flush_plan.json"), _touch(tmp_path / "steps" / "import.log", "ok")]
    for skipped in ("summary.json", "run.json", "signoff.html", "signoff.md", "onec-copy/goods.xml",
                    "allure-results/x-result.json", "report/index.html", ".sample-suite/t.py", "dump.bin"):  # fmt: skip
        _touch(tmp_path / skipped)
    assert list(_iter_artifacts(tmp_path)) == sorted(keep)


def test_attached_text_is_redacted(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text(json.dumps({"run_id": "r", "verdict": "GO", "checks": []}))
    _touch(tmp_path / "steps" / "migrate.log", "connecting to postgresql://gate:s3cr3t-pw@db/shop")
    stage = Stage(load_run(tmp_path), tmp_path / "stage")
    stage.dir.mkdir()
    stage.add_artifacts()
    written = "\n".join(p.read_text() for p in stage.dir.iterdir())
    assert "step log: migrate.log" in written
    assert "s3cr3t-pw" not in written and "postgresql://gate:***@db/shop" in written
