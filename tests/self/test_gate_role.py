"""The checks' role can read every table and write none; PRE-06 says whether it was used (issue 14, point 6)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from gate.db.gate_role import apply
from gate.db.target import TargetDb
from gate.settings import read_env_file

REPO = Path(__file__).resolve().parents[2]


def test_session_setting_alone_is_advisory_the_role_is_binding(gate_db, tmp_path: Path) -> None:
    owner = TargetDb.connect(gate_db.dsn, gate_db.name)
    assert owner.write_privileges()  # the fault: read-only by session setting only
    owner.conn.execute("SET default_transaction_read_only = off")
    owner.conn.execute("CREATE TABLE written_by_the_gate (id int)")  # it can, as the issue found
    owner.close()

    env_file = tmp_path / "target.env"
    apply(gate_db.dsn, env_file, role=f"gate_ro_{gate_db.name[-8:]}")
    url = read_env_file(env_file)["GATE_DATABASE_URL"][0]
    reader = TargetDb.connect(url, gate_db.name)
    assert reader.write_privileges() == []
    assert reader.tables_without_select() == []
    reader.conn.execute("SET default_transaction_read_only = off")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader.conn.execute("CREATE TABLE written_by_the_gate_2 (id int)")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader.conn.execute("DELETE FROM orders")
    reader.close()


def test_pre06_reports_whether_the_read_only_role_was_used(gate_env, gate_db, tmp_path: Path) -> None:
    def pre06(extra: dict[str, str]) -> str:
        run = tmp_path / f"run{len(extra)}"
        env = {**os.environ, **gate_env, **extra, "RUN_DIR": str(run)}
        subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--check", "PRE-06", "-q"],
                       cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=300)
        import json

        row = {r["id"]: r for r in json.loads((run / "summary.json").read_text())["checks"]}["PRE-06"]
        assert row["outcome"] == "passed", row  # access is fine either way; the role is reported, not judged
        return str(row["message"])

    with psycopg.connect(gate_db.dsn) as conn:  # the target's own role, as the issue found it: a superuser
        owner, superuser = conn.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    assert superuser
    as_owner = pre06({})
    assert f"read-only by session setting only ({owner} is a superuser" in as_owner, as_owner  # the role can write
    assert "make gate-role creates a role that can write nothing (GATE_DATABASE_URL)" in as_owner
    env_file = tmp_path / "role.env"
    apply(gate_db.dsn, env_file, role=f"gate_ro2_{gate_db.name[-8:]}")
    url = read_env_file(env_file)["GATE_DATABASE_URL"][0]
    assert "checks ran as a read-only role" in pre06({"GATE_DATABASE_URL": url})
