"""The point of no return is read from the target too: a migrate run by hand, outside the journal, counts.

A backup (with its pre-migration snapshot) is taken of the synthetic shop; then, by hand and outside
the window, a migration is applied and order items are deleted. The postflight's PST-07 fails, and
the verdict is ROLLBACK (not "NO-GO: nothing changed"), with the migration found on the target
recorded in the run. Without such a migration the same failure stays NO-GO.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gate.backup import take_backup
from gate.run import Run
from gate.settings import load_settings

REPO = Path(__file__).resolve().parents[2]


def _postflight_pst07(gate_env: dict[str, str]) -> dict:
    env = {**os.environ, **gate_env, "GATE_LIVE": "0", "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "gate.window", "checks", "PST-07"], cwd=REPO, env=env,
                   capture_output=True, text=True, timeout=300, check=False)
    return json.loads((Path(gate_env["RUN_DIR"]) / "summary.json").read_text())


def _backup(gate_env: dict[str, str]) -> Run:
    settings = load_settings(environ=gate_env, env_file=None)
    run = Run.open(settings.run_dir)
    take_backup(settings, run)
    return run


def test_a_migrate_run_by_hand_is_seen_on_the_target_and_the_verdict_is_rollback(gate_env, gate_db):
    run = _backup(gate_env)
    gate_db.execute("INSERT INTO django_migrations (app, name) VALUES ('products', '0002_by_hand');"
                    "DELETE FROM order_items WHERE id <= 10")
    summary = _postflight_pst07(gate_env)
    pst07 = next(r for r in summary["checks"] if r["id"] == "PST-07")
    assert pst07["outcome"] == "failed"
    assert summary["verdict"] == "ROLLBACK", summary["decision"]
    record = json.loads((run.dir / "point_of_no_return.json").read_text())
    assert record["source"] == "target" and record["applied_since_backup"] == ["products.0002_by_hand"]


def test_without_a_migration_on_the_target_the_same_failure_stays_no_go(gate_env, gate_db):
    run = _backup(gate_env)
    gate_db.execute("DELETE FROM order_items WHERE id <= 10")
    summary = _postflight_pst07(gate_env)
    assert summary["verdict"] == "NO-GO"
    assert not (run.dir / "point_of_no_return.json").exists()
