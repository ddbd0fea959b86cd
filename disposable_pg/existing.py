"""An already running PostgreSQL used as the "disposable" server (``DISPOSABLE_PG=existing``).

For self-tests and hosts where a throw-away server is provided from outside: databases are
created and dropped on it like on a disposable one; the server itself is never stopped.

>>> ExistingPostgres("postgresql://u:p@h:5432/postgres").get_connection_url(dbname="x")
'postgresql://u:p@h:5432/x'
"""

from __future__ import annotations

from typing import Self
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg


class ExistingPostgres:
    """The disposable-server interface over an existing server's superuser URL."""

    backend = "existing"

    def __init__(self, url: str) -> None:
        self.url = url
        parts = urlsplit(url)
        self.host = parts.hostname or "localhost"
        self.port = parts.port or 5432
        self.user = parts.username or ""
        self.password = parts.password or ""
        self.dbname = parts.path.lstrip("/") or "postgres"

    def start(self) -> Self:
        with psycopg.connect(self.url, connect_timeout=10):
            pass
        return self

    def stop(self) -> None:
        """Nothing to stop: the server belongs to someone else."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def get_connection_url(self, driver: str | None = None, dbname: str | None = None) -> str:
        parts = urlsplit(self.url)
        scheme = "postgresql" if driver is None else f"postgresql+{driver}"
        return urlunsplit((scheme, parts.netloc, "/" + quote(dbname or self.dbname), parts.query, ""))

    @property
    def server_major(self) -> int:
        with psycopg.connect(self.url) as conn:
            return int(conn.info.server_version // 10000)

    def create_database(self, name: str, template: str | None = None) -> str:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.get_connection_url(dbname=name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
