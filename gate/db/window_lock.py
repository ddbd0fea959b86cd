"""One window per target: a lock and a record that live in the target database itself.

Two windows on one database (from any ``RUN_DIR`` or host) must not migrate it together, and a
window that died must not be forgotten by the next one. Both facts live where every window looks:

* **the lock** is a PostgreSQL session-level advisory lock (``pg_try_advisory_lock(LOCK_KEYS)``,
  scoped to the database) held by one connection of the window's process for the window's whole
  length. Its ``application_name`` names the holder (``freesport-window <run_id> <host>:<pid>``)
  and ``backend_start`` says since when, so a second window reads both from ``pg_locks`` +
  ``pg_stat_activity`` without writing anything. The server drops the lock with the
  connection: a window killed with ``kill -9`` cannot leave a stale lock behind, so a lock is
  never stolen (a holder on a dead host stays until the server's TCP keepalive drops its session).
* **the record** says which window is open on this database: a database-level setting
  ``freesport_gate.open_window`` (``ALTER DATABASE … SET``: stored in ``pg_db_role_setting``, outside
  every table, so no dump, fingerprint or schema comparison sees it). A window writes it when it
  starts and removes it when it ends normally. A record whose lock is free is a window that died
  (killed, crashed, host lost): the next window refuses until it is resumed, rolled back (both
  rollback modes restore into a new database, which carries no record) or closed on purpose
  (``make window-close``, who and why recorded).

>>> lock = WindowLock.acquire(dsn, "20261204T0200Z-ab12")   # doctest: +SKIP
>>> lock.write_record(WindowRecord.now("20261204T0200Z-ab12", "/var/runs/x"))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Final

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from gate.db.readonly import connect_redacted

LOCK_KEYS: Final = (0x4653, 14)
"""``pg_advisory_lock(int4, int4)`` keys: 'FS', issue 14. ``pg_locks``: classid, objid, objsubid 2."""
APP_PREFIX: Final = "freesport-window "
RECORD_SETTING: Final = "freesport_gate.open_window"


class WindowBusy(RuntimeError):
    """Another window holds this target, or one died on it; the message names it and what to do."""


@dataclass(frozen=True, slots=True)
class Holder:
    """The session holding the window lock."""

    application_name: str
    since: datetime | None
    client: str | None
    backend_pid: int

    def describe(self) -> str:
        """``run <id> (host:pid) since <ts>``."""
        name = self.application_name.removeprefix(APP_PREFIX).strip()
        run_id, _, where = name.partition(" ")
        since = self.since.astimezone(UTC).isoformat(timespec="seconds") if self.since else "unknown"
        return f"run {run_id or '(unnamed)'} ({where or self.client or 'unknown host'}) since {since}"


@dataclass(frozen=True, slots=True)
class WindowRecord:
    """Who opened the window on this database: stored as the database setting ``freesport_gate.open_window``."""

    run_id: str
    run_dir: str
    host: str
    pid: int
    user: str
    started_at: str
    state: str = "open"

    @classmethod
    def now(cls, run_id: str, run_dir: str, state: str = "open") -> WindowRecord:
        """A record for this process, now."""
        return cls(run_id, run_dir, socket.gethostname(), os.getpid(), _user(),
                   datetime.now(UTC).isoformat(timespec="seconds"), state)

    def to_json(self) -> str:
        """Compact JSON (the setting's value)."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def parse(cls, text: str) -> WindowRecord | None:
        """The record of a setting's value (None when unreadable)."""
        try:
            data = json.loads(text)
            return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except (ValueError, TypeError):
            return None


def _user() -> str:
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return "unknown"


def application_name(run_id: str) -> str:
    """The lock session's name: ``freesport-window <run_id> <host>:<pid>`` (≤ 63 bytes, PostgreSQL's limit)."""
    return f"{APP_PREFIX}{run_id} {socket.gethostname()[:20]}:{os.getpid()}"[:63]


_HOLDER_SQL: Final = """
    SELECT a.application_name, a.backend_start, host(a.client_addr), a.pid
      FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 2
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"""
_RECORD_SQL: Final = """
    SELECT cfg FROM pg_db_role_setting s, unnest(s.setconfig) AS cfg
     WHERE s.setrole = 0 AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND cfg LIKE %s"""


def holder(conn: psycopg.Connection[TupleRow]) -> Holder | None:
    """The session holding the window lock on ``conn``'s database, if any."""
    row = conn.execute(_HOLDER_SQL, LOCK_KEYS).fetchone()
    return Holder(row[0] or "", row[1], row[2], row[3]) if row else None


def read_record(conn: psycopg.Connection[TupleRow]) -> WindowRecord | None:
    """The open-window record of ``conn``'s database, if any."""
    row = conn.execute(_RECORD_SQL, (RECORD_SETTING + "=%",)).fetchone()
    return WindowRecord.parse(row[0].split("=", 1)[1]) if row else None


class WindowLock:
    """The advisory lock of one window, held by its own connection until :meth:`release`."""

    def __init__(self, conn: psycopg.Connection[TupleRow], run_id: str) -> None:
        self.conn = conn
        self.run_id = run_id

    @classmethod
    def acquire(cls, dsn: str, run_id: str) -> WindowLock:
        """Take the lock without waiting; :class:`WindowBusy` naming the holder when another window has it."""
        conn = connect_redacted(dsn, autocommit=True, connect_timeout=10, application_name=application_name(run_id),
                                keepalives=1, keepalives_idle=30)
        try:
            got = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", LOCK_KEYS).fetchone()
            if not (got and got[0]):
                who = holder(conn)
                raise WindowBusy(
                    "another window holds this target: " + (who.describe() if who else "(holder not visible to this role)")
                    + "; one window at a time: wait for it to end (or stop it), then start again")
        except BaseException:
            conn.close()
            raise
        return cls(conn, run_id)

    def record(self) -> WindowRecord | None:
        """The target's open-window record."""
        return read_record(self.conn)

    def write_record(self, record: WindowRecord) -> None:
        """Store ``record`` as the database's ``freesport_gate.open_window`` (needs the database's owner)."""
        self.conn.execute(sql.SQL("ALTER DATABASE {} SET {} = {}").format(
            sql.Identifier(self._database()), sql.SQL(RECORD_SETTING), sql.Literal(record.to_json())))

    def clear_record(self) -> None:
        """Remove the record (the window ended, or was closed on purpose)."""
        self.conn.execute(sql.SQL("ALTER DATABASE {} RESET {}").format(
            sql.Identifier(self._database()), sql.SQL(RECORD_SETTING)))

    def _database(self) -> str:
        row = self.conn.execute("SELECT current_database()").fetchone()
        assert row is not None
        return str(row[0])

    def release(self) -> None:
        """Give the lock back (closing the connection also would)."""
        with contextlib.suppress(Exception):
            self.conn.execute("SELECT pg_advisory_unlock(%s, %s)", LOCK_KEYS)
        with contextlib.suppress(Exception):
            self.conn.close()
