"""The reverse-migration trial's copy: a database the application still holds is copied without waiting.

PostgreSQL refuses ``CREATE DATABASE … TEMPLATE`` of a database with other sessions only after
waiting 5 s for them to leave; the rehearsal's copy of the migrated database is taken while
gunicorn holds its connections, so the copy asks ``pg_stat_activity`` first and goes straight to
``pg_dump | pg_restore``. Both ways give the same rows.
"""

from __future__ import annotations

import psycopg

from gate.rollback.reverse import clone_database, others_connected


def _rows(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT * FROM products ORDER BY id").fetchall()


def test_a_held_database_is_seen_held_and_copied_with_its_rows(gate_pg, gate_db) -> None:
    server = gate_pg.get_connection_url()
    assert not others_connected(server, gate_db.name)
    with psycopg.connect(gate_db.dsn) as held:  # the application's session
        held.execute("SELECT 1")
        assert others_connected(server, gate_db.name)
        busy = clone_database(gate_pg, gate_db.name, f"{gate_db.name}_busy")
        assert _rows(busy) == _rows(gate_db.dsn)
    assert not others_connected(server, gate_db.name)
    idle = clone_database(gate_pg, gate_db.name, f"{gate_db.name}_idle")
    assert _rows(idle) == _rows(gate_db.dsn) and len(_rows(idle)) == 300
    for name in (f"{gate_db.name}_busy", f"{gate_db.name}_idle"):
        gate_pg.drop_database(name)
