"""Faults in the window's own flow, with the real checks: the flush never runs, not one order row is lost."""

from __future__ import annotations

import io
import json

import psycopg
from rich.console import Console

from gate.run import Run, write_summary
from gate.settings import load_settings
from gate.types import Outcome, Severity
from gate.verdict import CheckResult
from gate.window.runner import WindowRunner
from gate.window.stages import Stage

FLUSH = 'echo flushed >"$RUN_DIR/flushed"\n'


def runner_for(gate_env, monkeypatch, tmp_path, stages, scripts: dict[str, str]) -> WindowRunner:
    for key, value in gate_env.items():
        monkeypatch.setenv(key, value)
    directory = tmp_path / "scripts"
    directory.mkdir()
    for name, body in scripts.items():
        (directory / f"{name}.sh").write_text("set -euo pipefail\n" + body)
    settings = load_settings()
    run = Run.open(settings.run_dir)
    write_summary(run, [CheckResult(i, Outcome.PASSED, Severity.CRITICAL) for i in
                        ("BKP-01", "BKP-02", "BKP-03", "BKP-04")], settings.target)
    return WindowRunner(settings, run, confirm=True, console=Console(file=io.StringIO()), stages=stages,
                        scripts_dir=directory)


def test_migration_deleting_orders_is_caught_by_mig_04_and_the_flush_never_runs(gate_env, gate_db, monkeypatch,
                                                                                   tmp_path):
    delete = ('"$GATE_PYTHON" -c "import os, psycopg; psycopg.connect(os.environ[\'DATABASE_URL\'], autocommit=True)'
              '.execute(\'DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE id <= 5)\')"\n')
    stages = (Stage("migrate", "migrate", after=("MIG-04",), hooks=("protected_before",), destructive=True),
              Stage("flush", "flush", destructive=True))
    runner = runner_for(gate_env, monkeypatch, tmp_path, stages, {"migrate": delete, "flush": FLUSH})
    assert runner.run_window() == "ROLLBACK"
    summary = runner.run.read_summary()
    mig04 = next(r for r in summary["checks"] if r["id"] == "MIG-04")
    assert mig04["outcome"] == "failed" and "order_items: rows 80 → " in mig04["message"]
    assert summary["decision"]["deciding_check"] == "MIG-04"
    assert not (runner.run.dir / "flushed").exists()


def test_a_dry_run_reaching_order_items_fails_fls_01_before_anything_is_deleted(gate_env, gate_db, monkeypatch,
                                                                                 tmp_path):
    plan = {"dry_run": True, "deleted": {"products": 300, "order_items": 80}, "updated": {}, "blocked_by": []}
    stages = (Stage("migrate", "migrate", destructive=True),
              Stage("flush", "flush", pre_steps=("flush_dry_run",), after=("FLS-02",), destructive=True))
    scripts = {"migrate": "true\n", "flush": FLUSH,
               "flush_dry_run": f"echo '{json.dumps(plan)}' >\"$RUN_DIR/flush_plan.json\"\n"}
    runner = runner_for(gate_env, monkeypatch, tmp_path, stages, scripts)
    assert runner.run_window() == "ROLLBACK"
    fls01 = next(r for r in runner.run.read_summary()["checks"] if r["id"] == "FLS-01")
    assert fls01["outcome"] == "failed" and "protected table order_items (80 rows)" in fls01["message"]
    assert not (runner.run.dir / "flushed").exists()
    with psycopg.connect(gate_db.dsn) as conn:
        assert conn.execute("SELECT count(*) FROM order_items").fetchone()[0] == 80
