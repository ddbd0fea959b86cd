"""Read-only connections to the target: the gate reads, only the step scripts write.

Every connection sets ``default_transaction_read_only=on`` at connect time, so an
``INSERT`` through it fails with ``ReadOnlySqlTransaction`` whatever the caller does.

>>> conn = connect_readonly(url)        # doctest: +SKIP
>>> conn.execute("create table x()")     # doctest: +SKIP
psycopg.errors.ReadOnlySqlTransaction: cannot execute CREATE TABLE in a read-only transaction
"""

from __future__ import annotations

from typing import Any

import psycopg

READ_ONLY_OPTIONS = "-c default_transaction_read_only=on"
APPLICATION_NAME = "freesport-gate"


def connect_readonly(dsn: str, autocommit: bool = True, **kwargs: Any) -> psycopg.Connection[Any]:
    """A psycopg connection whose every transaction is read-only."""
    kwargs.setdefault("connect_timeout", 10)
    kwargs.setdefault("application_name", APPLICATION_NAME)
    return psycopg.connect(dsn, options=READ_ONLY_OPTIONS, autocommit=autocommit, **kwargs)


def is_read_only(conn: psycopg.Connection[Any]) -> bool:
    """The server says this session's transactions default to read-only."""
    row = conn.execute("SHOW default_transaction_read_only").fetchone()
    return bool(row and row[0] == "on")
