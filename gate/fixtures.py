"""The gate's fixtures: the public API checks are written against.

``settings`` (typed settings), ``run`` / ``run_dir`` (this run's record), ``target_db``
(read-only facts of the target), ``disposable_pg`` (a throw-away server of the target's
major version, session-wide), ``backup`` (this run's backup, taken on first use when the
backup step has not run), ``pre_snapshot`` (the snapshot taken in the dump's exported
snapshot), ``now`` (the clock, ``WINDOW_NOW`` overrides), ``effective_severity`` and
``check_message`` (what a check reports besides pass/fail).

>>> def test_backup_restores(backup, disposable_pg):   # doctest: +SKIP
...     assert backup.restores_into(disposable_pg)
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gate.run import Run
from gate.settings import Settings, SettingsError, load_settings
from gate.types import Severity

if TYPE_CHECKING:  # imported where used: a session that needs no database loads none of it
    from disposable_pg import DisposablePostgres
    from gate.backup import Backup
    from gate.db.snapshot import Snapshot
    from gate.db.target import TargetDb

SeverityReporter = Callable[[Severity | str], None]
MessageReporter = Callable[[str], None]

SELECTED_PHASES = pytest.StashKey[set[str]]()
"""Phases of the checks selected in this session, filled by the plugin at collection (``config.stash``)."""
RUN_DIR = pytest.StashKey[Path]()
"""This session's run directory, fixed by the plugin (``--run-dir``, else the settings; xdist workers: the controller's)."""
WINDOW_PG = pytest.StashKey[bool]()
"""Set when the session's ``disposable_pg`` is the window's shared server (``window_pg``)."""
SETTINGS = pytest.StashKey[Settings]()
"""The settings the plugin read when it opened the session's run, read once per session (``settings``)."""


@pytest.fixture(scope="session")
def settings(request: pytest.FixtureRequest) -> Settings:
    """The gate's settings (environment over ``ENV_FILE``), as the session read them when it opened its run
    (``SETTINGS``); a bad value fails the checks using it."""
    read = request.config.stash.get(SETTINGS, None)
    if read is not None:
        return read
    try:
        return load_settings()
    except SettingsError as exc:
        pytest.fail(f"settings: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def run(settings: Settings, request: pytest.FixtureRequest) -> Run:
    """This run (``--run-dir``, else ``RUN_DIR`` / ``RUN_ID``), shared by every phase of one window."""
    fixed = request.config.stash.get(RUN_DIR, None)
    return Run.open(fixed) if fixed is not None else Run.open(settings.run_dir, settings.run_id, settings.runs_root)


@pytest.fixture(scope="session")
def run_dir(run: Run) -> Path:
    """This run's directory."""
    return run.dir


@pytest.fixture(scope="session")
def target_db(settings: Settings) -> Iterator[TargetDb]:
    """The target database through a read-only connection (skips when ``DATABASE_URL`` is unset)."""
    from gate.db.target import TargetDb

    if settings.database_url is None:
        pytest.skip("DATABASE_URL is not set: no target database to check")
    try:
        db = TargetDb.connect(settings.check_dsn(), settings.target)
    except Exception as exc:  # noqa: BLE001 - any connect failure is the finding
        pytest.fail(f"target database {settings.target} unreachable: {type(exc).__name__}: {exc}", pytrace=False)
    yield db
    db.close()


@pytest.fixture(scope="session")
def disposable_pg(settings: Settings, run: Run, request: pytest.FixtureRequest) -> Iterator[DisposablePostgres]:
    """A disposable PostgreSQL of the target's major version (``DISPOSABLE_PG`` picks the backend): the
    window's own (``RUN_DIR/disposable_pg.json``, started once for all its sessions) when it answers,
    else one started for this session."""
    from disposable_pg import PgUnavailable, disposable_postgres
    from disposable_pg.handover import FILE_NAME, adopt
    from gate.db.readonly import server_major

    if settings.disposable_pg == "existing":
        from disposable_pg.existing import ExistingPostgres

        if settings.disposable_pg_url is None:
            pytest.fail("DISPOSABLE_PG=existing needs DISPOSABLE_PG_URL", pytrace=False)
        yield ExistingPostgres(settings.disposable_pg_url.get_secret_value()).start()
        return
    major = server_major(settings.dsn() if settings.database_url is not None else None)
    shared = adopt(run.dir / FILE_NAME, major)
    if shared is not None:
        request.config.stash[WINDOW_PG] = True
        yield shared  # the window stops it
        return
    try:
        server = disposable_postgres(settings.disposable_pg, major=major)
        server.start()
    except PgUnavailable as exc:
        pytest.fail(f"disposable PostgreSQL {major} unavailable ({settings.disposable_pg}): {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def window_pg(disposable_pg: DisposablePostgres, request: pytest.FixtureRequest) -> bool:
    """``disposable_pg`` is the window's shared server (stopped with the window, not by this session):
    a database left there lives until the window ends (BKP-04's restore, kept for MIG-05's copy)."""
    return request.config.stash.get(WINDOW_PG, False)


@pytest.fixture(scope="session")
def backup(settings: Settings, run: Run, request: pytest.FixtureRequest) -> Backup:
    """This run's backup (``gate.backup.Backup``): the backup step's, or taken now when it has not run.

    It is taken here only for a session that runs the backup checks (BKP-*) before any
    destructive step: a postflight check asking for the pre-migration snapshot of a run that
    has none fails, it never gets a snapshot of the migrated database.
    """
    from gate.backup import Backup, BackupFailed, BackupRefused, take_backup

    with (run.dir / "backup.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers: one takes the backup, the others wait and read it
        found = Backup.of_run(run, settings.tool("pg_restore"), settings.backup_jobs)
        if found is None:
            if settings.database_url is None:
                pytest.fail("DATABASE_URL is not set: no target to back up, the backup is not proven", pytrace=False)
            if "backup" not in request.config.stash.get(SELECTED_PHASES, set()) or run.destructive_started():
                pytest.fail(f"run {run.run_id} has no backup (backup.json): run the backup step first "
                            "(make backup, same RUN_DIR)", pytrace=False)
            with contextlib.suppress(BackupRefused, BackupFailed):
                take_backup(settings, run)
            found = Backup.of_run(run, settings.tool("pg_restore"), settings.backup_jobs)
    if found is None:
        pytest.fail("the backup step left no manifest (backup.json) in the run directory", pytrace=False)
    return found


@pytest.fixture(scope="session")
def pre_snapshot(backup: Backup) -> Snapshot:
    """The pre-migration snapshot, taken in the same exported snapshot as the dump."""
    snapshot = backup.pre_snapshot
    if snapshot is None:
        pytest.fail("no pre-migration snapshot (pre_snapshot.json) in the run directory", pytrace=False)
    return snapshot


@pytest.fixture
def now(settings: Settings) -> datetime:
    """The current time (``WINDOW_NOW`` overrides it, for rehearsals and self-tests)."""
    from gate.preflight.window_hours import clock

    return clock(settings)


@pytest.fixture
def effective_severity(request: pytest.FixtureRequest) -> SeverityReporter:
    """Report the severity this check fails with in this run (PST-08: low 500–1000 ms, high above)."""

    def report(severity: Severity | str) -> None:
        request.node.user_properties.append(("effective_severity", Severity(severity).value))

    return report


@pytest.fixture
def check_message(request: pytest.FixtureRequest) -> MessageReporter:
    """Attach a one-line message to this check's row in ``summary.json`` (also when it passes)."""

    def report(message: str) -> None:
        request.node.user_properties.append(("check_message", message))

    return report
