"""Disposable PostgreSQL servers for the gate and the tests: container and local-binaries backends.

>>> with disposable_postgres("auto") as pg:
...     url = pg.get_connection_url()
"""

from __future__ import annotations

from disposable_pg.base import DisposablePostgres, PgUnavailable
from disposable_pg.factory import choose_backend, disposable_postgres

__all__ = ["DisposablePostgres", "PgUnavailable", "choose_backend", "disposable_postgres"]
