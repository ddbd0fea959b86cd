"""The target database as facts, read through a read-only connection.

>>> db = TargetDb.connect(settings.dsn(), settings.target)   # doctest: +SKIP
>>> db.tables_without_select()                                # doctest: +SKIP
[]
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

import psycopg

from gate.db import fingerprint as fp
from gate.db.readonly import connect_readonly, is_read_only
from gate.db.snapshot import Snapshot, take_snapshot
from gate.types import TableName


class TargetDb:
    """A read-only view of the target database.

    >>> TargetDb.connect("postgresql://nobody@127.0.0.1:1/x", "x")  # doctest: +SKIP
    Traceback (most recent call last):
    psycopg.OperationalError: ...
    """

    def __init__(self, conn: psycopg.Connection[Any], label: str, dsn: str) -> None:
        self.conn = conn
        self.label = label
        self._dsn = dsn

    @classmethod
    def connect(cls, dsn: str, label: str) -> TargetDb:
        """Open a read-only autocommit connection."""
        return cls(connect_readonly(dsn), label, dsn)

    def close(self) -> None:
        """Close the connection."""
        with contextlib.suppress(Exception):
            self.conn.close()

    def __repr__(self) -> str:
        return f"<TargetDb {self.label}>"

    @property
    def is_read_only(self) -> bool:
        """The session refuses writes (``default_transaction_read_only``)."""
        return is_read_only(self.conn)

    @property
    def server_major(self) -> int:
        """The server's major version."""
        return fp.server_major(self.conn)

    @property
    def size_bytes(self) -> int:
        """``pg_database_size`` of the target."""
        return fp.database_size(self.conn)

    def tables(self) -> list[TableName]:
        """Every user table."""
        return fp.list_tables(self.conn)

    def tables_without_select(self) -> list[str]:
        """Tables and sequences the connected role cannot ``SELECT`` (so ``pg_dump`` would fail)."""
        rows = self.conn.execute(
            f"""SELECT n.nspname, c.relname, c.relkind FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p', 'S', 'v', 'm') AND {fp.USER_SCHEMAS}
                  AND NOT CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'SELECT')
                               ELSE has_table_privilege(c.oid, 'SELECT') END
                ORDER BY 1, 2"""
        ).fetchall()
        kinds = {"S": "sequence", "v": "view", "m": "materialized view"}
        return [f"{fp.qualified(s, n)}" + (f" ({kinds[k]})" if k in kinds else "") for s, n, k in rows]

    def write_privileges(self) -> list[str]:
        """What the connected role could write if its session asked (empty: a role that can write nothing).

        The session is read-only (``default_transaction_read_only``), but a session may turn that off;
        only the role's privileges make it binding.
        """
        row = self.conn.execute(
            f"""SELECT current_user, r.rolsuper,
                   (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE c.relkind IN ('r', 'p') AND {fp.USER_SCHEMAS}
                       AND (has_table_privilege(c.oid, 'INSERT') OR has_table_privilege(c.oid, 'UPDATE')
                            OR has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'TRUNCATE'))),
                   (SELECT count(*) FROM pg_namespace n WHERE {fp.USER_SCHEMAS}
                       AND has_schema_privilege(n.oid, 'CREATE'))
                FROM pg_roles r WHERE r.rolname = current_user"""
        ).fetchone()
        if row is None:
            return ["the connected role is not in pg_roles"]
        role, superuser, tables, schemas = row
        found = [f"{role} is a superuser"] if superuser else []
        if tables:
            found.append(f"{role} may write {tables} table(s)")
        if schemas:
            found.append(f"{role} may create in {schemas} schema(s)")
        return found

    def schemas_without_usage(self) -> list[str]:
        """User schemas the role cannot ``USAGE``."""
        rows = self.conn.execute(
            f"SELECT n.nspname FROM pg_namespace n WHERE {fp.USER_SCHEMAS} "
            "AND NOT has_schema_privilege(n.oid, 'USAGE') ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]

    def applied_migrations(self) -> list[str]:
        """``app.name`` rows of ``django_migrations``."""
        return fp.applied_migrations(self.conn)

    def table_stats(self, tables: Iterable[TableName] | None = None) -> dict[TableName, fp.TableStats]:
        """Row counts and content hashes."""
        return fp.table_stats(self.conn, tables)

    def snapshot(self, tables: Iterable[TableName] | None = None,
                 volatile: dict[TableName, list[str]] | None = None) -> Snapshot:
        """A consistent snapshot (own REPEATABLE READ read-only transaction); ``volatile``: see ``take_snapshot``."""
        with connect_readonly(self._dsn, autocommit=False) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with conn.transaction():
                return take_snapshot(conn, self.label, tables, volatile=volatile)
