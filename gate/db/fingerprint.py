"""Fingerprints computed inside PostgreSQL: schema from the catalogs, content as hashes.

No table row is pulled into Python: per table the server returns ``count(*)`` and an
order-independent content hash, the sum (numeric, so it never overflows) of a 64-bit hash
of every row (``hash_record_extended``, or ``hashtextextended(t::text, 0)`` for tables with
an unhashable column type); two tables with the same rows in any order have the same pair.

>>> stats = table_stats(conn, ["products"])           # doctest: +SKIP
>>> stats["products"].rows                            # doctest: +SKIP
1200
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from gate.types import TableName

USER_SCHEMAS = """n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
                  AND n.nspname NOT LIKE 'pg_temp%'"""


@dataclass(frozen=True, slots=True)
class TableStats:
    """Row count and order-independent content hash of one table.

    >>> TableStats(2, "17") == TableStats(2, "17")
    True
    """

    rows: int
    content_hash: str


def qualified(schema: str, name: str) -> TableName:
    """``name`` for tables in ``public``, ``schema.name`` otherwise."""
    return name if schema == "public" else f"{schema}.{name}"


def _split(table: TableName) -> tuple[str, str]:
    return tuple(table.split(".", 1)) if "." in table else ("public", table)  # type: ignore[return-value]


def list_tables(conn: psycopg.Connection[TupleRow]) -> list[TableName]:
    """Every ordinary and partitioned table in the user schemas, sorted."""
    rows = conn.execute(
        f"""SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND {USER_SCHEMAS} ORDER BY 1, 2"""
    ).fetchall()
    return [qualified(s, t) for s, t in rows]


HASHABLE_TABLES = f"""
WITH cols AS (
    SELECT n.nspname, c.relname, CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END AS typ
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_type t ON t.oid = a.atttypid
    WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND {USER_SCHEMAS}
), elems AS (
    SELECT cols.nspname, cols.relname, t.typtype,
           CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN t.typelem ELSE t.oid END AS typ
    FROM cols JOIN pg_type t ON t.oid = cols.typ
)
SELECT nspname, relname FROM elems GROUP BY 1, 2
HAVING bool_and(typtype = 'e' OR EXISTS (
    SELECT 1 FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod
    WHERE am.amname = 'hash' AND oc.opcdefault AND oc.opcintype = elems.typ))
"""


def hashable_tables(conn: psycopg.Connection[TupleRow]) -> set[TableName]:
    """Tables whose every column type has a hash function (``hash_record_extended`` works on their rows)."""
    if conn.info.server_version < 140000:
        return set()
    return {qualified(s, t) for s, t in conn.execute(HASHABLE_TABLES).fetchall()}


def table_stats(conn: psycopg.Connection[TupleRow], tables: Iterable[TableName] | None = None) -> dict[TableName, TableStats]:
    """Row count and content hash per table, each computed by the server in one aggregate.

    Rows are hashed with ``hash_record_extended`` (typed hashing, PostgreSQL ≥ 14, the same
    functions hash partitioning relies on) when every column type is hashable, else as text
    (``hashtextextended(t::text, 0)``); the digest carries its method (``r:``/``t:``).
    """
    names = list(tables) if tables is not None else list_tables(conn)
    if not names:
        return {}
    typed = hashable_tables(conn)
    parts = []
    for table in names:
        schema, name = _split(table)
        row_hash = "hash_record_extended(t, 0)" if table in typed else "hashtextextended(t::text, 0)"
        parts.append(
            sql.SQL(
                "SELECT {label}::text, count(*), {method} || coalesce(sum(" + row_hash + "), 0)::text "
                "FROM {schema}.{name} AS t"
            ).format(label=sql.Literal(table), method=sql.Literal("r:" if table in typed else "t:"),
                     schema=sql.Identifier(schema), name=sql.Identifier(name))
        )
    query = sql.SQL(" UNION ALL ").join(parts)
    return {label: TableStats(int(count), str(digest)) for label, count, digest in conn.execute(query).fetchall()}


def stable_stats(conn: psycopg.Connection[TupleRow], volatile: dict[TableName, list[str]]) -> dict[TableName, TableStats]:
    """Row count and content hash per table of ``volatile`` with those columns left out of the hash.

    For protected-table comparisons that must not fail on columns any login updates
    (``users.last_login``): the rows are still counted and every other column still hashed.
    """
    parts = []
    for table, skip in sorted(volatile.items()):
        schema, name = _split(table)
        cols = [c for (c,) in conn.execute(
            """SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped
               ORDER BY a.attnum""", (schema, name)).fetchall() if c not in set(skip)]
        if not cols:
            continue
        row = sql.SQL("ROW({})").format(sql.SQL(", ").join(sql.Identifier("t", c) for c in cols))
        parts.append(sql.SQL("SELECT {label}::text, count(*), 'x:' || coalesce(sum(hashtextextended({row}::text, 0)), 0)::text "
                             "FROM {schema}.{name} AS t").format(
            label=sql.Literal(table), row=row, schema=sql.Identifier(schema), name=sql.Identifier(name)))
    if not parts:
        return {}
    query = sql.SQL(" UNION ALL ").join(parts)
    return {label: TableStats(int(count), str(digest)) for label, count, digest in conn.execute(query).fetchall()}


def schema_fingerprint(conn: psycopg.Connection[TupleRow]) -> dict[TableName, dict[str, dict[str, str]]]:
    """Per table its columns (type, nullability, default, identity), constraints and indexes."""
    schema: dict[TableName, dict[str, dict[str, str]]] = {
        t: {"columns": {}, "constraints": {}, "indexes": {}} for t in list_tables(conn)
    }
    for s, t, col, typ, notnull, default, identity in conn.execute(
        f"""SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND {USER_SCHEMAS}
            ORDER BY 1, 2, a.attnum"""
    ):
        desc = typ + (" NOT NULL" if notnull else "") + (f" DEFAULT {default}" if default else "")
        desc += {"a": " GENERATED ALWAYS AS IDENTITY", "d": " GENERATED BY DEFAULT AS IDENTITY"}.get(identity, "")
        schema.setdefault(qualified(s, t), {"columns": {}, "constraints": {}, "indexes": {}})["columns"][col] = desc
    for s, t, name, definition in conn.execute(
        f"""SELECT n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid)
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND {USER_SCHEMAS} ORDER BY 1, 2, 3"""
    ):
        schema[qualified(s, t)]["constraints"][name] = definition
    for s, t, name, definition in conn.execute(
        f"""SELECT n.nspname, c.relname, i.relname, pg_get_indexdef(x.indexrelid)
            FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND {USER_SCHEMAS} ORDER BY 1, 2, 3"""
    ):
        schema[qualified(s, t)]["indexes"][name] = definition
    return schema


def applied_migrations(conn: psycopg.Connection[TupleRow]) -> list[str]:
    """``app.name`` of every row of ``django_migrations`` (empty when the table does not exist)."""
    exists = conn.execute("SELECT to_regclass('django_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    return [f"{a}.{n}" for a, n in conn.execute("SELECT app, name FROM django_migrations ORDER BY app, name")]


def server_major(conn: psycopg.Connection[TupleRow]) -> int:
    """The server's major version (15 for 15.8)."""
    return int(conn.info.server_version // 10000)


def database_size(conn: psycopg.Connection[TupleRow]) -> int:
    """``pg_database_size`` of the connected database, in bytes."""
    row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0
