"""Read-only connections to the target: the gate reads, only the step scripts write.

Every connection sets ``default_transaction_read_only=on`` at connect time, so an
``INSERT`` through it fails with ``ReadOnlySqlTransaction`` whatever the caller does.

>>> conn = connect_readonly(url)        # doctest: +SKIP
>>> conn.execute("create table x()")     # doctest: +SKIP
psycopg.errors.ReadOnlySqlTransaction: cannot execute CREATE TABLE in a read-only transaction
"""

from __future__ import annotations

from typing import TypedDict, Unpack

import psycopg
from psycopg.rows import TupleRow

READ_ONLY_OPTIONS = "-c default_transaction_read_only=on"
APPLICATION_NAME = "freesport-gate"


class ConnectParams(TypedDict, total=False):
    """The libpq connection parameters the gate sets besides the DSN."""

    connect_timeout: int
    application_name: str
    options: str
    keepalives: int
    keepalives_idle: int


def connect_readonly(
    dsn: str, autocommit: bool = True, **kwargs: Unpack[ConnectParams]
) -> psycopg.Connection[TupleRow]:
    """A psycopg connection whose every transaction is read-only."""
    __tracebackhide__ = True
    kwargs.setdefault("connect_timeout", 10)
    kwargs.setdefault("application_name", APPLICATION_NAME)
    kwargs["options"] = READ_ONLY_OPTIONS
    return connect_redacted(dsn, autocommit=autocommit, **kwargs)


def connect_redacted(
    dsn: str, autocommit: bool = False, **kwargs: Unpack[ConnectParams]
) -> psycopg.Connection[TupleRow]:
    """``psycopg.connect`` whose failure carries no secret: same exception type, redacted text, no chain.

    libpq quotes a malformed conninfo whole (password included) and pytest's traceback prints
    the arguments of every frame, so the error is re-raised from a frame without the DSN.
    """
    __tracebackhide__ = True
    try:
        return psycopg.connect(dsn, autocommit=autocommit, **kwargs)
    except psycopg.Error as exc:
        error = type(exc) if isinstance(exc, psycopg.OperationalError | psycopg.ProgrammingError) else None
        message = _redacted_error(exc, dsn)
    del dsn, kwargs
    raise (error or psycopg.OperationalError)(message)


def _redacted_error(exc: BaseException, dsn: str) -> str:
    from urllib.parse import unquote, urlsplit

    from gate.redact import redact

    known: list[str] = []
    try:
        password = urlsplit(dsn).password
    except ValueError:
        password = None
    if password:
        known += [password, unquote(password)]
    return redact(str(exc), known=known) + f" (connecting to {_safe_target(dsn)})"


def _safe_target(dsn: str) -> str:
    from gate.settings import dsn_without_password

    if not dsn.startswith(("postgresql://", "postgres://")):
        return "a key=value conninfo (not shown)"
    try:
        return dsn_without_password(dsn)
    except ValueError:
        return "a DSN that does not parse (not shown)"


def is_read_only(conn: psycopg.Connection[TupleRow]) -> bool:
    """The server says this session's transactions default to read-only."""
    row = conn.execute("SHOW default_transaction_read_only").fetchone()
    return bool(row and row[0] == "on")


def server_major(dsn: str | None, default: int = 15) -> int:
    """The major version of the server at ``dsn`` (read-only), ``default`` when unknown or unreachable:
    the disposable server is started with the target's major version."""
    if dsn is None:
        return default
    try:
        with connect_readonly(dsn) as conn:
            return int(conn.info.server_version // 10000)
    except Exception:  # noqa: BLE001 - unreachable is a finding of other checks, not of this
        return default
