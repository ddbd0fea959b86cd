"""pytest-django on a disposable PostgreSQL server (``DISPOSABLE_PG=container|local|auto``).

One server per session; pytest-django creates ``test_freesport`` on it by running the real
migrations, and each test runs in a rolled-back transaction (or a flushed database for
``transactional_db`` tests such as the migration tests).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from disposable_pg import DisposablePostgres, disposable_postgres


@pytest.fixture(scope="session")
def disposable_pg_server() -> Iterator[DisposablePostgres]:
    with disposable_postgres(os.environ.get("DISPOSABLE_PG")) as pg:
        yield pg


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    disposable_pg_server: DisposablePostgres, django_db_modify_db_settings_parallel_suffix: None
) -> None:
    """Point Django's default database at the disposable server before the test DB is created."""
    from django.conf import settings
    from django.db import connections

    overrides = {
        "HOST": disposable_pg_server.host,
        "PORT": str(disposable_pg_server.port),
        "USER": disposable_pg_server.user,
        "PASSWORD": disposable_pg_server.password,
        "CONN_MAX_AGE": 0,
    }
    settings.DATABASES["default"].update(overrides)
    connections["default"].settings_dict.update(overrides)
