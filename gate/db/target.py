"""The target database as facts, read through a read-only connection.

>>> db = TargetDb.connect(settings.dsn(), settings.target)   # doctest: +SKIP
>>> db.tables_without_select()                                # doctest: +SKIP
[]
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TypedDict

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from gate.db import fingerprint as fp
from gate.db.readonly import connect_readonly, is_read_only
from gate.db.snapshot import Snapshot, take_snapshot
from gate.types import TableName


class ImportSession(TypedDict):
    """The newest ``import_sessions`` row: the backend's report of its last 1C import (IMP-01)."""

    id: int
    status: str
    report: dict[str, object]
    error_message: str | None


class TargetDb:
    """A read-only view of the target database.

    >>> TargetDb.connect("postgresql://nobody@127.0.0.1:1/x", "x")  # doctest: +SKIP
    Traceback (most recent call last):
    psycopg.OperationalError: ...
    """

    def __init__(self, conn: psycopg.Connection[TupleRow], label: str, dsn: str) -> None:
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

    # The catalog as the checks ask about it: the SQL lives here, the checks say what they claim.

    def count(self, table: str, where: str = "") -> int:
        """``count(*)`` of ``table`` (``where``: a constant SQL condition of the check, e.g. ``is_active``)."""
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        if where:
            query = query + sql.SQL(" WHERE ") + sql.SQL(where)  # noqa: S608 - constant fragments of the checks
        row = self.conn.execute(query).fetchone()
        return int(row[0]) if row else 0

    def variant_counts(self, variants: str = "product_variants", products: str = "products") -> tuple[int, int]:
        """(active variants of active products, every variant)."""
        row = self.conn.execute(sql.SQL(
            "SELECT count(*) FILTER (WHERE p.is_active AND v.is_active), count(*) FROM {} v "
            "JOIN {} p ON p.id = v.product_id").format(sql.Identifier(variants), sql.Identifier(products))).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def sample_slugs(self, seed: int, size: int, most_variants: int = 3) -> list[str]:
        """Active products' slugs: the ``most_variants`` with the most variants, then ``size`` seeded by ``seed``."""
        most = self.conn.execute(
            "SELECT p.slug FROM products p JOIN product_variants v ON v.product_id = p.id WHERE p.is_active "
            "GROUP BY p.slug ORDER BY count(*) DESC, p.slug LIMIT %s", (most_variants,)).fetchall()
        seeded = self.conn.execute(
            "SELECT slug FROM products WHERE is_active ORDER BY md5(slug || %s), slug LIMIT %s",
            (str(seed), size)).fetchall()
        return list(dict.fromkeys([r[0] for r in most] + [r[0] for r in seeded]))

    def color_names(self, table: str) -> set[str]:
        """The mapped color names of ``table`` (stripped, lower case)."""
        rows = self.conn.execute(sql.SQL("SELECT name FROM {}").format(sql.Identifier(table))).fetchall()
        return {str(r[0]).strip().lower() for r in rows}

    def latest_import_session(self) -> ImportSession | None:
        """The newest ``import_sessions`` row (id, status, report, error_message), ``None`` when there is none."""
        row = self.conn.execute(
            "SELECT id, status, report, error_message FROM import_sessions ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        return {"id": row[0], "status": row[1], "report": row[2] or {}, "error_message": row[3]}

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
