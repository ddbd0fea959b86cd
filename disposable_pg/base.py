"""The interface every disposable PostgreSQL backend offers (shaped like testcontainers')."""

from __future__ import annotations

import secrets
from typing import Protocol, Self, runtime_checkable
from urllib.parse import quote


class PgUnavailable(RuntimeError):
    """This backend cannot run on this machine (no engine, no binaries)."""


@runtime_checkable
class DisposablePostgres(Protocol):
    """A throw-away PostgreSQL server; ``with`` starts it and always tears it down."""

    backend: str
    host: str
    port: int
    user: str
    password: str
    dbname: str

    def start(self) -> Self: ...
    def stop(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...
    def get_connection_url(self, driver: str | None = None, dbname: str | None = None) -> str: ...
    def create_database(self, name: str, template: str | None = None) -> str: ...
    def drop_database(self, name: str) -> None: ...
    @property
    def server_major(self) -> int: ...


def make_password() -> str:
    return secrets.token_urlsafe(18)


def connection_url(user: str, password: str, host: str, port: int, dbname: str, driver: str | None = None) -> str:
    scheme = "postgresql" if driver is None else f"postgresql+{driver}"
    return f"{scheme}://{quote(user)}:{quote(password)}@{host}:{port}/{quote(dbname)}"
