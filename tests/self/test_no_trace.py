"""Checks leave no trace (issue 11, item 7).

A login (ONE-01's checkauth on a deployment that logs users in) updates ``users.last_login``:
the protected-table comparison declares it volatile (``VOLATILE_COLUMNS``, default
``users.last_login``) and still catches any other change. And the whole preflight, backup
included, leaves the target's row counters (``pg_stat_user_tables``) exactly as they were.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from gate.db.snapshot import snapshot_of
from gate.db.target import TargetDb

REPO = Path(__file__).resolve().parents[2]
VOLATILE = {"users": ["last_login"]}


def _with_last_login(gate_db) -> None:
    gate_db.execute("ALTER TABLE users ADD COLUMN last_login timestamptz")


def test_a_login_is_not_a_change_of_a_protected_table(gate_db):
    _with_last_login(gate_db)
    before = TargetDb.connect(gate_db.dsn, "t").snapshot(["users", "orders"], VOLATILE)
    gate_db.execute("UPDATE users SET last_login = now() WHERE id = 3")
    after = TargetDb.connect(gate_db.dsn, "t").snapshot(["users", "orders"], VOLATILE)
    assert before.diff(after, content_only=True) == []
    # without the declaration the same login is a difference (the false alarm it was)
    assert snapshot_of(gate_db.dsn, "x", ["users"]).diff(
        before.only(["users"]), content_only=True) == ["users: content hash differs"]


def test_any_other_change_of_the_same_table_is_still_caught(gate_db):
    _with_last_login(gate_db)
    before = TargetDb.connect(gate_db.dsn, "t").snapshot(["users"], VOLATILE)
    gate_db.execute("UPDATE users SET email = 'x' || email, last_login = now() WHERE id = 3")
    after = TargetDb.connect(gate_db.dsn, "t").snapshot(["users"], VOLATILE)
    assert after.diff(before, content_only=True) == ["users: content hash differs"]
    gate_db.execute("DELETE FROM users WHERE id = 4")
    gone = TargetDb.connect(gate_db.dsn, "t").snapshot(["users"], VOLATILE)
    assert "users: rows 20 → 19" in before.diff(gone, content_only=True)


def test_the_volatile_declaration_survives_the_snapshot_file(gate_db, tmp_path):
    _with_last_login(gate_db)
    snap = TargetDb.connect(gate_db.dsn, "t").snapshot(["users"], VOLATILE)
    again = type(snap).load(snap.save(tmp_path / "s.json"))
    assert again.volatile == VOLATILE and again.stable == snap.stable and again == snap


def _row_counters(dsn: str) -> dict[str, tuple[int, int, int]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables").fetchall()
    return {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}


def _settled(dsn: str) -> dict[str, tuple[int, int, int]]:
    """The counters once every finished backend's stats have been flushed (they are, at its exit)."""
    last = _row_counters(dsn)
    for _ in range(20):
        time.sleep(0.25)
        now = _row_counters(dsn)
        if now == last:
            return now
        last = now
    return last


def test_preflight_leaves_the_targets_row_counters_unchanged(gate_env, gate_db):
    _with_last_login(gate_db)
    before = _settled(gate_db.dsn)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": "/tmp", **gate_env}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-m", "preflight", "-p", "no:randomly"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    summary = json.loads((Path(gate_env["RUN_DIR"]) / "summary.json").read_text())
    assert {c["id"] for c in summary["checks"]} >= {"PRE-06", "BKP-01", "BKP-04"}, proc.stdout[-2000:]
    after = _settled(gate_db.dsn)
    changed = {t: (before.get(t), after[t]) for t in after if before.get(t) != after[t]}
    assert changed == {}, f"preflight wrote to the target: {changed}"
    # the counters do see a write (so the equality above is evidence, not blindness)
    gate_db.execute("UPDATE orders SET total = total WHERE id = 1")
    assert _settled(gate_db.dsn)["orders"][1] == after["orders"][1] + 1
