"""The interface every disposable PostgreSQL backend offers (shaped like testcontainers')."""

from __future__ import annotations

import secrets
from typing import Protocol, Self, runtime_checkable
from urllib.parse import quote

import psycopg


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


class ServerBase:
    """What every backend does the same way once its server listens: URLs and databases.

    Subclasses set ``user``/``password``/``host``/``port``/``dbname`` and implement
    ``start()``/``stop()``; ``with`` always tears the server down.
    """

    user: str
    password: str
    host: str
    port: int
    dbname: str

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def get_connection_url(self, driver: str | None = None, dbname: str | None = None) -> str:
        return connection_url(self.user, self.password, self.host, self.port, dbname or self.dbname, driver)

    @property
    def server_major(self) -> int:
        with psycopg.connect(self.get_connection_url(), autocommit=True) as conn:
            return int(conn.info.server_version // 10000)

    def create_database(self, name: str, template: str | None = None) -> str:
        with psycopg.connect(self.get_connection_url(), autocommit=True) as conn:
            tmpl = f' TEMPLATE "{template}"' if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{tmpl}')
        return self.get_connection_url(dbname=name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.get_connection_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
