"""The pull-request rehearsal's job summary (gate/report/pr_summary.py): a run directory built by hand in the
formats its writers produce (scripts/steps/migrate.sh's timings line, MIG-05's TrialResult, MIG-03's Finding,
write_summary's summary.json), rendered by the real CLI in a subprocess: the per-migration table, the verdict by
name, exit 0 for GO only."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gate.migrations.lint import Finding
from gate.migrations.trial import MigrationRun, TableChange, TrialResult, trial_json
from gate.run import Run, write_summary
from gate.settings import REPO
from gate.types import Outcome, Severity
from gate.verdict import CheckResult

MIGRATE_SH = REPO / "scripts" / "steps" / "migrate.sh"


def _timings(run_dir: Path, migration: str, t0: str, t1: str, before: int, after: int) -> None:
    """Append one line to timings.jsonl with migrate.sh's own printf (the line is taken from the script)."""
    line = re.search(r"printf '\{\"migration\".*?timings\.jsonl\"", MIGRATE_SH.read_text(), re.S)
    assert line, f"{MIGRATE_SH} no longer writes timings.jsonl with printf: update gate/report/pr_summary.py"
    subprocess.run(["bash", "-c", f"set -e; {line.group(0)}"], check=True,
                   env={**os.environ, "RUN_DIR": str(run_dir), "migration": migration, "t0": t0, "t1": t1,
                        "before": str(before), "after": str(after)})


def _run_dir(tmp_path: Path, failed: CheckResult | None) -> Path:
    run = Run.open(tmp_path / "run")
    (run.dir / "migrations").mkdir()
    _timings(run.dir, "catalog.0002_productvariant", "100.000", "101.250", 8_388_608, 9_437_184)
    _timings(run.dir, "orders.0002_cleanup_test_orders", "200.0", "200.5", 9_437_184, 9_437_184)
    trial = TrialResult("mig05_trial_0a1b2c3d", 1.5, True, (
        MigrationRun("catalog.0002_productvariant", "manage.py migrate catalog 0002_productvariant", 0, 1.1,
                     8_000_000, 9_000_000, {"catalog_productvariant": TableChange(120, 0, 0, 0, 120, True)}),
        MigrationRun("orders.0002_cleanup_test_orders", "manage.py migrate orders 0002_cleanup_test_orders", 0, 0.4,
                     9_000_000, 9_000_000, {"orders": TableChange(0, 0, 150, 150, 0, True),
                                            "order_items": TableChange(0, 0, 335, 335, 0, True)}),
    ), ("catalog.0002_productvariant", "orders.0002_cleanup_test_orders"))
    (run.dir / "migrations" / "trial.json").write_text(trial_json(trial))
    findings = [Finding("catalog.0002_productvariant", "adding-not-nullable-field",
                        'ALTER TABLE "catalog_product" ALTER COLUMN "sku" SET NOT NULL', "locks", "checked by PRE-07")]
    if failed is not None:
        findings.append(Finding("orders.0002_cleanup_test_orders", "ban-delete-or-update",
                                'DELETE FROM "orders" WHERE "is_test"', "rewrites rows in a migration"))
    (run.dir / "migrations" / "lint.txt").write_text("\n".join(f.line() for f in findings) + "\n")
    results = [CheckResult("MIG-01", Outcome.PASSED, Severity.CRITICAL, "ok")]
    if failed is not None:
        results.append(failed)
    write_summary(run, results, "rehearsal")
    return run.dir


def _cli(run_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gate.report.pr_summary", str(run_dir)], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)


def test_go_renders_the_per_migration_table_and_exits_0(tmp_path: Path) -> None:
    proc = _cli(_run_dir(tmp_path, None))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "### Migration rehearsal verdict: **GO** (exit 0)" in out
    lines = {line.split(" | ")[0].strip("| "): line for line in out.splitlines() if line.startswith("| ")}
    catalog, orders = lines["catalog.0002_productvariant"], lines["orders.0002_cleanup_test_orders"]
    # duration and sizes from the window's timings.jsonl, rows from MIG-05's trial, locks from MIG-03
    assert "| 1.250 |" in catalog and "| 8.0 MiB | 9.0 MiB |" in catalog
    assert "catalog_productvariant +120 (0 → 120)" in catalog
    assert "adding-not-nullable-field ×1 (waived)" in catalog
    assert "| 0.500 |" in orders and "order_items −335 (335 → 0); orders −150 (150 → 0)" in orders
    assert orders.endswith("| none |")  # no MIG-03 finding on it


@pytest.mark.parametrize(("failed", "verdict", "code"), [
    (CheckResult("MIG-05", Outcome.FAILED, Severity.CRITICAL, "orders changed"), "NO-GO", 10),
    (CheckResult("PST-03", Outcome.FAILED, Severity.HIGH, "api slow"), "MONITOR", 30),
])
def test_anything_but_go_is_named_and_fails(tmp_path: Path, failed: CheckResult, verdict: str, code: int) -> None:
    run_dir = _run_dir(tmp_path, failed)
    if verdict == "MONITOR":  # after the first destructive step: a high check decides MONITOR
        (run_dir / "journal.jsonl").write_text(json.dumps({"event": "start", "name": "migrate"}) + "\n")
        write_summary(Run.open(run_dir), [failed], "rehearsal")
    proc = _cli(run_dir)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert f"verdict: **{verdict}** (exit {code})" in proc.stdout
    assert f"deciding check: {failed.id}" in proc.stdout
    assert "| orders.0002_cleanup_test_orders |" in proc.stdout
    assert '**ban-delete-or-update** (open): DELETE FROM "orders"' in proc.stdout


def test_no_summary_is_no_verdict_and_fails(tmp_path: Path) -> None:
    proc = _cli(tmp_path)
    assert proc.returncode == 2
    assert "no verdict" in proc.stdout and "summary.json" in proc.stdout
