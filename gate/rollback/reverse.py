"""The reverse migration, tried on a disposable copy only: does ``migrate products 0001_initial`` bring the data back?

The runbook's troubleshooting offers ``migrate products <previous>`` as a way back. A rehearsal
tries it after the forward run (migrate + flush + import) on a copy of the database, compares
the result with the pre-migration snapshot and says in plain words what it loses, so the
sign-off states when the restore from the backup is the only way back. The configured target
is never touched: the copy lives on the rehearsal's disposable server.

>>> trial = try_reverse_migration(pg, "freesport", pre, manage)   # doctest: +SKIP
>>> trial.as_summary()["restore_only_way_back"]                    # doctest: +SKIP
True
"""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from gate.db.snapshot import Snapshot, snapshot_of
from gate.settings import dsn_without_password, libpq_env

if TYPE_CHECKING:
    from disposable_pg import DisposablePostgres

DEFAULT_TARGET = "products 0001_initial"
Manage = Callable[[Sequence[str], str], "subprocess.CompletedProcess[str]"]
"""Runs ``manage.py <args>`` against the database URL given; returns the finished process."""


def others_connected(server_url: str, database: str) -> bool:
    """True when a session other than this one is connected to ``database`` (``pg_stat_activity``)."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                           (database,)).fetchone()
    return bool(row and row[0])


def clone_database(pg: DisposablePostgres, source: str, name: str, pg_bin: str = "") -> str:
    """A copy of ``source`` as ``name`` on the same disposable server: its URL.

    ``CREATE DATABASE … TEMPLATE`` when nobody is connected to ``source`` (fast), else
    ``pg_dump | pg_restore`` (works while the application keeps its connections). Asked first:
    PostgreSQL waits 5 s for the other sessions to leave before it refuses a busy template.
    """
    if not others_connected(str(pg.get_connection_url()), source):
        try:
            return str(pg.create_database(name, template=source))
        except psycopg.Error:
            pass  # a session arrived in between: copy it the other way
    url = str(pg.create_database(name))
    source_url = str(pg.get_connection_url(dbname=source))

    def tool(name: str) -> str:
        return os.path.join(pg_bin, name) if pg_bin else name

    env = {**os.environ, **libpq_env(source_url)}
    dump = subprocess.Popen(
        [tool("pg_dump"), "-Fc", "--no-password", "-d", dsn_without_password(source_url)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    restore = subprocess.run(
        [tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error", "--no-password", "-d",
         dsn_without_password(url)],
        env={**os.environ, **libpq_env(url)}, stdin=dump.stdout, capture_output=True, text=True, check=False,
    )
    assert dump.stdout is not None
    dump.stdout.close()
    dump_rc = dump.wait()
    if dump_rc != 0 or restore.returncode != 0:
        err = (dump.stderr.read().decode() if dump.stderr else "") + restore.stderr
        raise RuntimeError(f"copy of {source} failed: {err.strip()[-500:]}")
    return url


def empty_columns(dsn: str, pre: Snapshot, tables: Sequence[str]) -> dict[str, list[str]]:
    """Per table, the columns the pre-migration schema had that are NULL in every row now."""
    found: dict[str, list[str]] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in tables:
            columns = list(pre.schema.get(table, {}).get("columns", {}))
            exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
            if not columns or not exists or not exists[0]:
                continue
            present = {
                r[0]
                for r in conn.execute(
                    "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
                    "AND NOT attisdropped", (table,),
                )
            }
            columns = [c for c in columns if c in present]
            if not columns:
                continue
            query = sql.SQL("SELECT count(*), {} FROM {}").format(
                sql.SQL(", ").join(sql.SQL("count({})").format(sql.Identifier(c)) for c in columns),
                sql.Identifier(table),
            )
            row = conn.execute(query).fetchone()
            if row and row[0]:
                nulls = [c for c, n in zip(columns, row[1:], strict=True) if n == 0 and pre.tables[table].rows]
                if nulls:
                    found[table] = nulls
    return found


@dataclass(frozen=True, slots=True)
class ReverseTrial:
    """What the reverse migration did on the copy, and what it did not bring back."""

    target: str
    command: str
    exit_code: int
    duration_s: float
    output_tail: str
    differences: tuple[str, ...] = ()
    empty: dict[str, list[str]] = field(default_factory=dict)
    after: Snapshot | None = None

    @property
    def works(self) -> bool:
        """The command ran to its end (exit 0)."""
        return self.exit_code == 0

    def losses(self, pre: Snapshot) -> list[str]:
        """What the pre-migration database held that the reverse migration does not give back."""
        if not self.works:
            return [f"the reverse migration failed (exit {self.exit_code}): {self.output_tail.strip()[-300:]}"]
        after = self.after
        lines: list[str] = []
        if after is not None:
            for table, stats in sorted(pre.tables.items()):
                now = after.tables.get(table)
                if now is None:
                    lines.append(f"{table}: table gone ({stats.rows} rows before the window)")
                elif now.rows != stats.rows:
                    lines.append(f"{table}: {stats.rows} rows before the window, {now.rows} after going back")
                elif now.content_hash != stats.content_hash:
                    lines.append(f"{table}: same row count, different content")
        lines += [f"{t}: {', '.join(cols)} empty (NULL) in every row" for t, cols in sorted(self.empty.items())]
        schema = [d for d in self.differences if ": rows " not in d and "content hash" not in d]
        if schema:
            lines.append(f"schema: {len(schema)} difference(s), e.g. {schema[0]}")
        return lines

    def as_summary(self, pre: Snapshot) -> dict[str, object]:
        """The ``reverse_migration`` entry of ``summary.json`` (the sign-off reads it)."""
        losses = self.losses(pre)
        restore_only = not self.works or bool(losses)
        if not self.works:
            conclusion = (f"`migrate {self.target}` fails on a copy of the migrated database: "
                          "the restore from the pre-migration backup is the only way back.")
        elif losses:
            conclusion = (f"`migrate {self.target}` runs but does not bring the pre-migration data back "
                          f"({len(losses)} finding(s)): the restore from the pre-migration backup is the only way back.")
        else:
            conclusion = f"`migrate {self.target}` brings the database back to the pre-migration snapshot."
        return {
            "target": self.target,
            "command": self.command,
            "works": self.works,
            "exit_code": self.exit_code,
            "duration_s": round(self.duration_s, 2),
            "losses": losses,
            "restore_only_way_back": restore_only,
            "conclusion": conclusion,
            "tried_on": "a disposable copy of the rehearsal database after the forward run",
        }


def try_reverse_migration(
    pg: DisposablePostgres,
    source: str,
    pre: Snapshot,
    manage: Manage,
    target: str = DEFAULT_TARGET,
    pg_bin: str = "",
    keep: bool = False,
    on_cloned: Callable[[], None] | None = None,
) -> ReverseTrial:
    """Clone ``source``, run ``migrate <target>`` on the clone, compare it with ``pre``; drop the clone.

    ``on_cloned`` is called once the copy exists: from then on ``source`` may change (a rehearsal
    starts its rollback there while the trial goes on with the copy).
    """
    name = f"reverse_{secrets.token_hex(4)}"
    url = clone_database(pg, source, name, pg_bin)
    if on_cloned is not None:
        on_cloned()
    argv = ["migrate", *shlex.split(target), "--noinput"]
    try:
        t0 = time.monotonic()
        proc = manage(argv, url)
        duration = time.monotonic() - t0
        output = (proc.stdout or "") + (proc.stderr or "")
        after = snapshot_of(url, f"reverse:{name}")
        differences = tuple(pre.diff(after))
        changed = [t for t in pre.tables if t in after.tables and after.tables[t] != pre.tables[t]]
        empty = empty_columns(url, pre, changed) if proc.returncode == 0 else {}
        return ReverseTrial(target, "manage.py " + " ".join(argv), proc.returncode, duration,
                            output[-2000:], differences, empty, after)
    finally:
        if not keep:
            pg.drop_database(name)
