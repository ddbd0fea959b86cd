"""``make rehearsal`` end to end: GO on the bundled backend, the way back proven, the report written,
the configured target untouched, no secret in the run directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gate.db.snapshot import snapshot_of
from gate.rehearsal.orchestrator import TARGET_KEYS, Rehearsal, sample_parameters
from gate.settings import read_env_file

REPO = Path(__file__).resolve().parents[2]


def test_sample_parameters_are_the_committed_packages():
    readme = (REPO / "backend" / "sample_data" / "README.md").read_text()
    params = sample_parameters()
    assert (f"--products {params['products']} --variants-per-product {params['variants_per_product']} "
            f"--seed {params['seed']}") in readme


def test_the_window_never_inherits_a_target_variable(tmp_path):
    rehearsal = Rehearsal(environ={"DATABASE_URL": "postgresql://prod:pw@prod/db", "BASE_URL": "https://shop",
                                   "BACKEND_DIR": "/srv/freesport", "API_PREFIX": "/api/v1"})
    rehearsal.work = tmp_path
    rehearsal.gate_env = {"DATABASE_URL": "postgresql://postgres:x@127.0.0.1:5/rehearsal"}
    env = rehearsal._child_env()
    assert env["DATABASE_URL"].endswith("/rehearsal") and "BASE_URL" not in env
    assert env["BACKEND_DIR"] == "/srv/freesport" and env["API_PREFIX"] == "/api/v1"
    assert {"DATABASE_URL", "BASE_URL", "RUN_DIR", "ENV_FILE", "BACKUP_DIR"} <= set(TARGET_KEYS)


@pytest.fixture
def production(gate_db):
    """A "configured target" the rehearsal must never touch."""
    return gate_db


def test_rehearsal_ends_go_with_the_way_back_proven(tmp_path, production):
    before = snapshot_of(production.dsn, "production")
    env = {**os.environ, "RUNS_ROOT": str(tmp_path / "runs"), "REHEARSAL_WORK_DIR": str(tmp_path / "work"),
           "REHEARSAL_KEEP_WORK": "yes", "GATE_LIVE": "0", "DISPOSABLE_PG": os.environ.get("DISPOSABLE_PG", "local"),
           "DATABASE_URL": production.dsn, "BASE_URL": "http://127.0.0.1:9/", "RUN_DIR": str(tmp_path / "elsewhere")}
    proc = subprocess.run([sys.executable, "-m", "gate.rehearsal"], cwd=REPO, env=env, capture_output=True,
                          text=True, check=False, timeout=1200)
    runs = sorted((tmp_path / "runs").glob("*-rehearsal"))
    assert runs, proc.stdout[-3000:] + proc.stderr[-3000:]
    run = runs[-1]
    summary = json.loads((run / "summary.json").read_text())
    assert proc.returncode == 0 and summary["verdict"] == "GO", proc.stdout[-4000:]
    rows = {r["id"]: r["outcome"] for r in summary["checks"]}
    assert all(rows.get(i) == "passed" for i in ("BKP-04", "MIG-02", "IMP-01", "PST-07", "RBK-01", "RBK-02", "RBK-03"))
    assert summary["reverse_migration"]["restore_only_way_back"] is True
    assert summary["rehearsal"]["data"] == sample_parameters()
    assert (run / "signoff.html").exists() and (run / "rollback.json").exists()
    assert not (tmp_path / "elsewhere").exists()
    assert before.diff(snapshot_of(production.dsn, "production")) == []
    assert "127.0.0.1:9" not in summary["target"] and production.name not in json.dumps(summary)
    work = next((tmp_path / "work").iterdir())
    values = {k: v for k, (v, _) in read_env_file(work / "backend.env").items()}
    secrets = [values["SECRET_KEY"], values["ONEC_EXCHANGE_PASSWORD"], urlsplit(values["DATABASE_URL"]).password]
    assert all(secrets)
    for path in run.rglob("*"):
        if path.is_file() and path.stat().st_size < 20_000_000:
            text = path.read_bytes().decode("utf-8", "replace")
            for secret in secrets:
                assert secret not in text, f"a secret of the rehearsal in {path.relative_to(run)}"
