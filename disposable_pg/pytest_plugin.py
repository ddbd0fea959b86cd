"""pytest fixtures for disposable PostgreSQL: the fixtures are the public API.

Load with ``-p disposable_pg.pytest_plugin``, or import the fixtures and hooks into a
``conftest.py`` to scope them to one directory (``tests/disposable_pg`` does: the gate's plugin
has a ``disposable_pg`` fixture of its own). Fixtures:

- ``disposable_pg`` — a session-scoped, started server of the configured backend
  (``DISPOSABLE_PG=container|local|auto``); the backend name is in the test id (``[local]``).
  ``@pytest.mark.disposable_pg_backends("container", "local")`` runs a test on each listed
  backend instead; one that cannot run here is skipped with its reason.
- ``disposable_pg_factory`` — ``factory(backend=None, **options)`` starts another server,
  stopped when the test ends (for tests that stop, break or kill a server).
- ``fresh_database`` — a new database per test on ``disposable_pg``, dropped afterwards;
  ``@pytest.mark.fresh_database(template="name")`` clones a template (CREATE DATABASE … TEMPLATE).

Why a SIGTERM handler: Python dies on SIGTERM without running ``atexit`` or fixture teardown,
so a CI timeout would leave servers behind until the next sweep. The plugin turns SIGTERM into
``KeyboardInterrupt`` (when nobody else handles it), which pytest tears down like Ctrl-C
(:mod:`disposable_pg.interrupt`, the same mechanism ``python -m rehearse`` uses).
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Protocol

import pytest

from disposable_pg.base import DisposablePostgres, PgUnavailable
from disposable_pg.factory import BACKENDS, choose_backend, container_unavailable_reason, new_server
from disposable_pg.interrupt import sigterm_as_interrupt

BACKENDS_MARK: Final = "disposable_pg_backends"
FRESH_DATABASE_MARK: Final = "fresh_database"


class DisposablePgFactory(Protocol):
    """Starts a disposable server of ``backend`` (None = the configured one) for this test."""

    def __call__(self, backend: str | None = None, **options: Any) -> DisposablePostgres: ...


@dataclass(frozen=True, slots=True)
class FreshDatabase:
    """A database created for one test on a disposable server."""

    name: str
    url: str
    server: DisposablePostgres

    def __str__(self) -> str:
        return self.url


@functools.cache
def unavailable_reason(backend: str, major: int = 15) -> str | None:
    """Why ``backend`` cannot run on this machine (None when it can); asked once per process."""
    if backend == "container":
        return container_unavailable_reason(major)
    if backend == "local":
        from disposable_pg.local import find_bin_dir

        try:
            find_bin_dir(major)
        except PgUnavailable as exc:
            return str(exc)
        return None
    return f"unknown backend {backend!r} (expected one of {', '.join(BACKENDS)})"


@functools.cache
def configured_backend() -> str:
    """``DISPOSABLE_PG`` resolved once per process (``auto`` says on stderr why it falls back)."""
    return choose_backend()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{BACKENDS_MARK}(*names): run the test on each named disposable PostgreSQL backend"
    )
    config.addinivalue_line(
        "markers", f"{FRESH_DATABASE_MARK}(template=None): the fresh_database fixture clones this template"
    )
    sigterm_as_interrupt()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``disposable_pg`` by backend, so every test id names it (``[container]``)."""
    if "disposable_pg" not in metafunc.fixturenames or hasattr(
        metafunc.definition, "_disposable_pg_backends"
    ):
        return  # also loaded through a conftest: parametrize once
    mark = metafunc.definition.get_closest_marker(BACKENDS_MARK)
    names = list(mark.args) if mark and mark.args else [configured_backend()]
    params = []
    for name in names:
        reason = unavailable_reason(name) if mark else None
        marks = [pytest.mark.skip(reason=f"{name} backend unavailable: {reason}")] if reason else []
        params.append(pytest.param(name, id=name, marks=marks))
    metafunc.parametrize("disposable_pg", params, indirect=True, scope="session")
    metafunc.definition._disposable_pg_backends = names  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def disposable_pg(request: pytest.FixtureRequest) -> Iterator[DisposablePostgres]:
    """A started server shared by the session (one per backend); never drop its default db."""
    backend = getattr(request, "param", None) or configured_backend()
    with new_server(backend) as pg:
        yield pg


@pytest.fixture
def disposable_pg_factory(request: pytest.FixtureRequest) -> DisposablePgFactory:
    """Start extra servers in a test; each is stopped when the test ends, whatever happened."""

    def factory(backend: str | None = None, **options: Any) -> DisposablePostgres:
        server = new_server(backend or configured_backend(), **options)
        request.addfinalizer(server.stop)
        return server.start()

    return factory


@pytest.fixture
def fresh_database(
    request: pytest.FixtureRequest, disposable_pg: DisposablePostgres
) -> Iterator[FreshDatabase]:
    """A new, empty (or templated) database for this test on the session server."""
    mark = request.node.get_closest_marker(FRESH_DATABASE_MARK)
    template = mark.kwargs.get("template") if mark else None
    name = f"t_{os.getpid()}_{secrets.token_hex(4)}"
    url = disposable_pg.create_database(name, template=template)
    try:
        yield FreshDatabase(name=name, url=url, server=disposable_pg)
    finally:
        with contextlib.suppress(Exception):
            disposable_pg.drop_database(name)
