"""A database snapshot: schema fingerprint, applied migrations and per-table content hashes.

Taken inside one transaction (REPEATABLE READ for a consistent view, e.g. the one whose
snapshot ``pg_dump --snapshot`` shares), saved as JSON in the run directory, compared with
``diff()`` which names every table and column that differs.

>>> before = take_snapshot(conn, "target")           # doctest: +SKIP
>>> before.diff(take_snapshot(restored, "restored"))  # doctest: +SKIP
[]
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg.rows import TupleRow

from gate.db import fingerprint as fp
from gate.db.canonical import canonical_schema
from gate.db.fingerprint import TableStats
from gate.types import TableName

TableSchema = dict[str, dict[str, str]]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a database held at one moment, as a value: ``==`` and ``diff()`` compare two.

    >>> a = Snapshot("db", tables={"t": TableStats(1, "5")})
    >>> a.diff(Snapshot("db", tables={"t": TableStats(2, "9")}))
    ['t: rows 1 → 2', 't: content hash differs']
    """

    database: str
    schema: dict[TableName, TableSchema] = field(default_factory=dict)
    migrations: tuple[str, ...] = ()
    tables: dict[TableName, TableStats] = field(default_factory=dict)
    server_version: int = 0
    taken_at: str = ""
    pg_snapshot_id: str | None = None
    volatile: dict[TableName, list[str]] = field(default_factory=dict)
    stable: dict[TableName, TableStats] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """sha256 of schema, migrations and table stats (not of the label or time)."""
        return hashlib.sha256(json.dumps(self._comparable(), sort_keys=True).encode()).hexdigest()

    def _comparable(self) -> dict[str, object]:
        return {
            "schema": canonical_schema(self.schema),
            "migrations": list(self.migrations),
            "tables": {t: [s.rows, s.content_hash] for t, s in self.tables.items()},
        }

    def same_as(self, other: Snapshot) -> bool:
        """Schema, migrations and every table's content are equal."""
        return self._comparable() == other._comparable()

    def only(self, tables: Iterable[TableName]) -> Snapshot:
        """The same snapshot restricted to ``tables`` (schema and stats; migrations dropped)."""
        keep = set(tables)
        return Snapshot(
            self.database,
            {t: s for t, s in self.schema.items() if t in keep},
            (),
            {t: s for t, s in self.tables.items() if t in keep},
            self.server_version,
            self.taken_at,
            self.pg_snapshot_id,
            {t: c for t, c in self.volatile.items() if t in keep},
            {t: s for t, s in self.stable.items() if t in keep},
        )

    def diff(self, other: Snapshot, content_only: bool = False) -> list[str]:
        """Every difference from ``self`` to ``other``, one line naming the table (and column)."""
        lines: list[str] = []
        if not content_only:
            lines += _diff_schema(self.schema, other.schema)
            gone = sorted(set(self.migrations) - set(other.migrations))
            new = sorted(set(other.migrations) - set(self.migrations))
            lines += [f"migration {m}: applied before, not after" for m in gone]
            lines += [f"migration {m}: applied after, not before" for m in new]
        for table in sorted(set(self.tables) | set(other.tables)):
            a, b = self.tables.get(table), other.tables.get(table)
            if content_only and table in self.stable and table in other.stable \
                    and sorted(self.volatile.get(table, [])) == sorted(other.volatile.get(table, [])):
                a, b = self.stable[table], other.stable[table]  # volatile columns declared: compared without them
            if a is None or b is None:
                if content_only or (table in self.schema and table in other.schema):
                    lines.append(f"{table}: {'missing' if b is None else 'new'} table")
                continue
            if a.rows != b.rows:
                lines.append(f"{table}: rows {a.rows} → {b.rows}")
            if a.content_hash != b.content_hash:
                lines.append(f"{table}: content hash differs")
        return lines

    # persistence ------------------------------------------------------------------
    def to_json(self) -> str:
        """The snapshot as JSON text."""
        data = asdict(self)
        data["tables"] = {t: {"rows": s.rows, "content_hash": s.content_hash} for t, s in self.tables.items()}
        data["stable"] = {t: {"rows": s.rows, "content_hash": s.content_hash} for t, s in self.stable.items()}
        data["fingerprint"] = self.fingerprint
        return json.dumps(data, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        """The inverse of ``to_json``."""
        data = json.loads(text)
        data.pop("fingerprint", None)
        data["tables"] = {t: TableStats(v["rows"], v["content_hash"]) for t, v in data["tables"].items()}
        data["stable"] = {t: TableStats(v["rows"], v["content_hash"]) for t, v in data.get("stable", {}).items()}
        data["migrations"] = tuple(data.get("migrations", ()))
        return cls(**data)

    def save(self, path: Path) -> Path:
        """Write the snapshot as JSON; returns ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json())
        return path

    @classmethod
    def load(cls, path: Path) -> Snapshot:
        """Read a snapshot written by ``save``."""
        return cls.from_json(path.read_text())


def _diff_schema(a: dict[TableName, TableSchema], b: dict[TableName, TableSchema]) -> list[str]:
    """Differences by meaning (``gate.db.canonical``), each shown as the definitions PostgreSQL printed."""
    lines = []
    ca, cb = canonical_schema(a), canonical_schema(b)
    for table in sorted(set(a) | set(b)):
        if table not in b:
            lines.append(f"{table}: missing table")
            continue
        if table not in a:
            lines.append(f"{table}: new table")
            continue
        for kind, label in (("columns", "column"), ("constraints", "constraint"), ("indexes", "index")):
            x, y = a[table].get(kind, {}), b[table].get(kind, {})
            for name in sorted(set(x) | set(y)):
                if name not in y:
                    lines.append(f"{table}.{name}: {label} missing")
                elif name not in x:
                    lines.append(f"{table}.{name}: new {label}")
                elif ca[table][kind][name] != cb[table][kind][name]:
                    lines.append(f"{table}.{name}: {label} {x[name]} → {y[name]}")
    return lines


def take_snapshot(
    conn: psycopg.Connection[TupleRow],
    database: str,
    tables: Iterable[TableName] | None = None,
    pg_snapshot_id: str | None = None,
    volatile: dict[TableName, list[str]] | None = None,
) -> Snapshot:
    """Snapshot what ``conn`` sees now (run it inside one transaction for a consistent view).

    ``volatile``: per table the columns content-only comparisons leave out (``VOLATILE_COLUMNS``);
    their tables also get a hash without those columns (``stable``); ``tables`` stays the full hash.
    """
    schema = fp.schema_fingerprint(conn)
    names = list(tables) if tables is not None else list(schema)
    if tables is not None:
        schema = {t: s for t, s in schema.items() if t in set(names)}
        names = [t for t in names if t in schema]
    declared = {t: [c for c in cols if c in schema[t]["columns"]] for t, cols in (volatile or {}).items()
                if t in names and t in schema}
    declared = {t: cols for t, cols in declared.items() if cols}
    return Snapshot(
        database=database,
        schema=schema,
        migrations=tuple(fp.applied_migrations(conn)),
        tables=fp.table_stats(conn, names),
        server_version=int(conn.info.server_version),
        taken_at=datetime.now(UTC).isoformat(),
        pg_snapshot_id=pg_snapshot_id,
        volatile=dict(declared),
        stable=fp.stable_stats(conn, declared),
    )


def snapshot_of(dsn: str, database: str, tables: Iterable[TableName] | None = None) -> Snapshot:
    """Snapshot a database through a fresh read-only REPEATABLE READ transaction."""
    from gate.db.readonly import connect_readonly

    with connect_readonly(dsn, autocommit=False) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            return take_snapshot(conn, database, tables)
