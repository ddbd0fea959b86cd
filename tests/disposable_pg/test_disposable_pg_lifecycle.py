"""The disposable PostgreSQL provider keeps its promises on every backend that can run here.

Each test runs once per backend (``[container]``, ``[local]``); a backend this machine cannot
run is skipped with its reason, never passed.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest

from disposable_pg import DisposablePostgres, PgUnavailable, choose_backend
from disposable_pg.pytest_plugin import DisposablePgFactory, FreshDatabase, unavailable_reason
from disposable_pg.testing import leftover_handle, port_closed, still_exists

BOTH = pytest.mark.disposable_pg_backends("container", "local")


@pytest.fixture(params=["container", "local"])
def backend(request: pytest.FixtureRequest) -> str:
    """A backend name; skipped (with why) when this machine cannot run it."""
    reason = unavailable_reason(request.param)
    if reason:
        pytest.skip(f"{request.param} backend unavailable: {reason}")
    return str(request.param)


def test_starts_answers_and_stops_without_leftovers(backend: str, disposable_pg_factory: DisposablePgFactory):
    pg = disposable_pg_factory(backend)
    host, port, handle = pg.host, pg.port, leftover_handle(pg)
    with psycopg.connect(pg.get_connection_url(), connect_timeout=5) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    assert pg.backend == backend
    assert still_exists(backend, handle)

    pg.stop()
    pg.stop()  # idempotent: the factory's finalizer stops it once more

    assert not still_exists(backend, handle), f"{backend} left {handle} behind"
    assert port_closed(host, port), f"{backend} left port {port} open"


def test_context_manager_tears_down_when_the_body_raises(backend: str):
    from disposable_pg.factory import new_server

    with pytest.raises(RuntimeError, match="boom"), new_server(backend) as pg:
        host, port, handle = pg.host, pg.port, leftover_handle(pg)
        raise RuntimeError("boom")
    assert not still_exists(backend, handle)
    assert port_closed(host, port)


@BOTH
def test_server_major_is_15(disposable_pg: DisposablePostgres):
    assert disposable_pg.server_major == 15


@BOTH
def test_backend_name_is_in_the_test_id(disposable_pg: DisposablePostgres, request: pytest.FixtureRequest):
    assert f"[{disposable_pg.backend}]" in request.node.name


@BOTH
def test_exec_runs_client_tools_of_the_server_version(disposable_pg: DisposablePostgres):
    rc, out = disposable_pg.exec(["psql", "-Atc", "select current_user, current_database()"])
    assert (rc, out.strip()) == (0, f"{disposable_pg.user}|{disposable_pg.dbname}")
    rc, out = disposable_pg.exec(["pg_dump", "--version"])
    assert rc == 0
    assert " 15." in out


@BOTH
def test_create_and_drop_database(disposable_pg: DisposablePostgres):
    url = disposable_pg.create_database("dpg_create_drop")
    try:
        with psycopg.connect(url) as conn:
            conn.execute("create table t (id int)")
            conn.execute("insert into t values (1)")
            conn.commit()
        assert disposable_pg.get_connection_url(dbname="dpg_create_drop") == url
    finally:
        disposable_pg.drop_database("dpg_create_drop")
    with psycopg.connect(disposable_pg.get_connection_url(), autocommit=True) as conn:
        names = {r[0] for r in conn.execute("select datname from pg_database")}
    assert "dpg_create_drop" not in names


@BOTH
def test_create_database_from_template(disposable_pg: DisposablePostgres):
    disposable_pg.create_database("dpg_tmpl")
    try:
        with psycopg.connect(disposable_pg.get_connection_url(dbname="dpg_tmpl")) as conn:
            conn.execute("create table seeded (id int)")
            conn.execute("insert into seeded values (42)")
            conn.commit()
        url = disposable_pg.create_database("dpg_clone", template="dpg_tmpl")
        with psycopg.connect(url) as conn:
            assert conn.execute("select id from seeded").fetchone() == (42,)
    finally:
        disposable_pg.drop_database("dpg_clone")
        disposable_pg.drop_database("dpg_tmpl")


@pytest.fixture
def checks_after_teardown() -> Iterator[list[Callable[[], None]]]:
    """Checks to run after the fixtures requested *after* this one are torn down."""
    checks: list[Callable[[], None]] = []
    yield checks
    for check in checks:
        check()


@BOTH
def test_fresh_database_is_new_and_dropped_after(
    checks_after_teardown: list[Callable[[], None]], fresh_database: FreshDatabase
):
    with psycopg.connect(fresh_database.url) as conn:
        tables = conn.execute("select count(*) from pg_tables where schemaname = 'public'").fetchone()
    assert tables == (0,)
    assert str(fresh_database) == fresh_database.url
    server, name = fresh_database.server, fresh_database.name

    def dropped() -> None:
        with psycopg.connect(server.get_connection_url(), autocommit=True) as conn:
            row = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        assert row is None, f"{name} survived its test"

    checks_after_teardown.append(dropped)


@BOTH
@pytest.mark.fresh_database(template="dpg_marker_tmpl")
def test_fresh_database_clones_the_marked_template(
    request: pytest.FixtureRequest, disposable_pg: DisposablePostgres
):
    disposable_pg.create_database("dpg_marker_tmpl")
    request.addfinalizer(lambda: disposable_pg.drop_database("dpg_marker_tmpl"))
    with psycopg.connect(disposable_pg.get_connection_url(dbname="dpg_marker_tmpl")) as conn:
        conn.execute("create table from_template (id int)")
        conn.commit()
    fresh = request.getfixturevalue("fresh_database")
    with psycopg.connect(fresh.url) as conn:
        assert conn.execute("select count(*) from from_template").fetchone() == (0,)


def test_choose_backend_honours_an_explicit_choice():
    assert choose_backend("local") == "local"
    assert choose_backend("container") == "container"


def test_choose_backend_rejects_unknown_names():
    with pytest.raises(PgUnavailable, match="expected container, local or auto"):
        choose_backend("sqlite")


def test_auto_prefers_containers_when_they_can_run(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DISPOSABLE_PG", raising=False)
    expected = "container" if unavailable_reason("container") is None else "local"
    assert choose_backend() == expected


def test_auto_falls_back_to_local_and_says_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    import disposable_pg.factory as factory

    monkeypatch.setattr(factory, "container_unavailable_reason", lambda major=15: "no engine (test)")
    assert choose_backend("auto") == "local"
    assert (
        "containers unavailable: no engine (test); using local PostgreSQL binaries" in capsys.readouterr().err
    )


def test_container_startup_timeout_carries_the_server_log():
    """A server that never becomes ready fails within its timeout, with its log attached."""
    reason = unavailable_reason("container")
    if reason:
        pytest.skip(f"container backend unavailable: {reason}")
    from disposable_pg.container import OWNER_PID, ContainerPostgres, labelled_containers

    def mine() -> set[str]:
        return {c.id for c in labelled_containers() if c.labels.get(OWNER_PID) == str(os.getpid())}

    before = mine()
    pg = ContainerPostgres(startup_timeout=5, server_settings={"port": "5433"})
    started = time.monotonic()
    with pytest.raises(TimeoutError) as info:
        pg.start()
    assert time.monotonic() - started < 15
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "port 5433" in notes, notes
    assert pg.container_id is None
    assert mine() == before, "the failed container was left behind"


def test_container_exit_at_start_fails_at_once_with_the_log():
    reason = unavailable_reason("container")
    if reason:
        pytest.skip(f"container backend unavailable: {reason}")
    from disposable_pg.container import ContainerPostgres

    with contextlib.ExitStack() as stack:
        pg = ContainerPostgres(env={"POSTGRES_HOST_AUTH_METHOD": "bogus"}, startup_timeout=30)
        stack.callback(pg.stop)
        started = time.monotonic()
        with pytest.raises(Exception, match="exited") as info:
            pg.start()
    assert time.monotonic() - started < 10
    assert "invalid authentication method" in "\n".join(getattr(info.value, "__notes__", []))
