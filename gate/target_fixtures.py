"""Fixtures of the window's checks (registered by ``gate.plugin``): 1C package, API, logs, journal.

>>> def test_products_count(onec_package, target_db):    # doctest: +SKIP
...     assert target_db.count("products") == onec_package.expected_products
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

import pytest

from gate.run import Run, StepRow
from gate.settings import Settings

if TYPE_CHECKING:  # imported where used, as the fixtures do
    from disposable_pg import DisposablePostgres
    from gate.backup import Backup
    from gate.db.target import TargetDb
    from gate.http import ApiClient
    from gate.http.api import Burst
    from gate.migrations.trial import RanAhead, TrialStart  # noqa: F401 - named in TrialStarter's base (a string: imported where used)
    from gate.onec.package import OnecPackage
    from gate.onec.price_types import PriceTypeMap
    from gate.onec.prices import PriceReading
    from gate.runbook import Linter

T = TypeVar("T")


@pytest.fixture(scope="session")
def onec_reading(settings: Settings, run: Run, _onec_read_ahead: OnecReadAhead) -> tuple[OnecPackage, PriceReading]:
    """The 1C package and its prices and stock, read by the gate's own streaming reader in one pass per
    run (cached in ``RUN_DIR/onec_reading.pickle``, keyed by the package's files)."""
    from gate.onec.reading import read_onec_cached

    if settings.database_url is None:
        pytest.skip("DATABASE_URL is not set: no target configured for the window's checks")
    if not settings.onec_data_dir.is_dir():
        pytest.fail(f"ONEC_DATA_DIR={settings.onec_data_dir}: no such directory", pytrace=False)
    return _onec_read_ahead.take() or read_onec_cached(settings.onec_data_dir, run.dir)


class Ahead(Generic[T]):
    """Work begun in a background thread as a session starts, taken by the check that needs it (its error
    raised where it is taken, as the work's own would be); what nobody took is waited for when the session
    ends and handed to ``leftover`` (errors ignored)."""

    def __init__(self, thread_name: str, leftover: Callable[[T], object] | None = None) -> None:
        self._thread_name = thread_name
        self._leftover = leftover
        self._pool: ThreadPoolExecutor | None = None
        self._begun: Future[T] | None = None

    def start(self, work: Callable[[], T]) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=self._thread_name)
        self._begun = self._pool.submit(work)

    def take(self) -> T | None:
        """What the work gave, ``None`` if none began."""
        begun, self._begun = self._begun, None
        return begun.result() if begun is not None else None

    def end(self) -> None:
        """Wait for work nobody took (a session whose checks needing it were skipped); never raises."""
        with contextlib.suppress(Exception):
            untaken = self.take()
            if untaken is not None and self._leftover is not None:
                self._leftover(untaken)
        if self._pool is not None:
            self._pool.shutdown()


class OnecReadAhead(Ahead["tuple[OnecPackage, PriceReading]"]):
    """The 1C package's reading (``read_onec_cached``) begun when the session starts."""

    def __init__(self) -> None:
        super().__init__("onec-read-ahead")

    def begin(self, root: Path, cache_dir: Path) -> None:
        from gate.onec.reading import read_onec_cached

        self.start(lambda: read_onec_cached(root, cache_dir))


@pytest.fixture(scope="session", autouse=True)
def _onec_read_ahead(request: pytest.FixtureRequest) -> Iterator[OnecReadAhead]:
    """A session whose checks read the 1C package (ONE-02..04 in preflight and after pre-import, IMP and
    PST-01/02/11/12) starts reading it (or loading the run's cache) at its first check, beside the checks
    before them that wait on the database, HTTP or a subprocess (PRE-06, ONE-01): the reading is the
    preflight session's largest cost, and preflight has no step before it to hide behind. Same reading,
    same cache and lock (``read_onec_cached``); only earlier."""
    ahead = OnecReadAhead()
    if any("onec_reading" in getattr(item, "fixturenames", ()) for item in request.session.items):
        try:
            settings: Settings = request.getfixturevalue("settings")
            if settings.database_url is not None and settings.onec_data_dir.is_dir():
                ahead.begin(settings.onec_data_dir, request.getfixturevalue("run").dir)
        except (Exception, pytest.skip.Exception, pytest.fail.Exception):  # noqa: BLE001 - the checks report it themselves
            pass
    yield ahead
    ahead.end()


@pytest.fixture(scope="session")
def onec_package(onec_reading: tuple[OnecPackage, PriceReading], run: Run) -> OnecPackage:
    """The 1C package read by the gate's own streaming reader (summary saved in the run)."""
    package = onec_reading[0]
    (run.dir / "onec_package.json").write_text(package.to_json())
    return package


@pytest.fixture(scope="session")
def price_types(settings: Settings) -> PriceTypeMap:
    """The price-type mapping (``PRICE_TYPES_FILE``), read by the gate's own reader."""
    from gate.onec.price_types import PriceTypesError, load_price_types

    try:
        return load_price_types(settings.price_types_file)
    except PriceTypesError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def onec_prices(onec_reading: tuple[OnecPackage, PriceReading]) -> PriceReading:
    """Prices and stock of the 1C package per variant key (the gate's own streaming reader), from the
    same pass as ``onec_package``."""
    return onec_reading[1]


class TargetAnswers:
    """The deployed release's answers to the probes DEP-01 (``interpreter``), RUN-01..03 (``introspect``),
    MIG-01 (``showmigrations``) and MIG-03 (``sqlmigrate``) ask, from ONE ``manage.py shell -c`` on first use, kept
    in ``RUN_DIR/deployed_probes.json`` keyed by the deployed release, the ``MANAGE_CMD`` line, the
    questions and the journal (a step that ran since asks again). A probe that did not answer, or was
    asked something else, is ``None``: its check then runs its own command and reports what that says."""

    def __init__(self, settings: Settings, run: Run) -> None:
        self.settings, self.run = settings, run
        self._asked: dict[str, object] = {}
        self._answers: dict[str, object] | None = None
        self._asking: threading.Thread | None = None

    def start(self) -> None:
        """Ask in the background now; ``get`` waits for it."""
        if self._answers is None and self._asking is None:
            self._asking = threading.Thread(target=self._fill, name="deployed-probes", daemon=True)
            self._asking.start()

    def _fill(self) -> None:
        self._answers = self._ask()

    def get(self, name: str, given: object) -> object:
        """Probe ``name``'s answer to ``given`` (``None``: ask it yourself)."""
        if self._asking is not None:
            self._asking.join()
        if self._answers is None:
            self._answers = self._ask()
        return self._answers.get(name) if self._asked.get(name, ...) == given else None

    def _ask(self) -> dict[str, object]:
        from gate.runbook import Linter
        from gate.target_cmd import ask_target, manage_prefix
        from gate.window.deployed import deployed_release
        from gate.window.window_manifest import window_lines

        try:
            # those needing no database first: a database that hangs loses only the last ones
            self._asked = {"interpreter": {}} if self.settings.manage_cmd else {}
            self._asked.update(introspect=Linter(self.settings).probe_input(window_lines()), showmigrations=None,
                               sqlmigrate=None)
            steps = _journal(self.run)
            key = json.dumps([deployed_release(self.settings).tag, steps])
            return ask_target(self.settings, self._asked, self.run.dir / PROBES_FILE, key, timeout=300,
                              context={"steps": steps, "manage": manage_prefix(self.settings)})
        except Exception:  # each check asks on its own and reports what its own command says
            self._asked = {}
            return {}


PROBES_FILE = "deployed_probes.json"


def _journal(run: Run) -> list[list[object]]:
    return [[s["name"], s.get("exit_code"), s.get("finished_at")] for s in run.steps()]


def release_plan(settings: Settings, run: Run) -> list[str] | None:
    """The deployed release's migrations (``app.name``, plan order) as its ``showmigrations --plan`` said
    after this run's deploy step: TargetAnswers' answer in ``RUN_DIR/deployed_probes.json``, used only
    while the code cannot have changed since (the same completed deploy step in the journal, the same
    ``MANAGE_CMD`` line). ``None``: not known that way; ask ``showmigrations`` itself."""
    from gate.migrations.plan import parse_plan
    from gate.target_cmd import manage_prefix

    try:
        kept = json.loads((run.dir / PROBES_FILE).read_text())
        context, plan = kept["context"], kept["answers"]["showmigrations"]
        deploy_then = [s for s in context["steps"] if s[0] == "deploy"]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    deploy_now = [s for s in _journal(run) if s[0] == "deploy"]
    if (not isinstance(plan, str) or context.get("manage") != manage_prefix(settings) or not deploy_now
            or deploy_now != deploy_then or deploy_now[0][1] != 0):
        return None
    return [name for name, _ in parse_plan(plan)] or None


@pytest.fixture(scope="session")
def target_answers(settings: Settings, run: Run) -> TargetAnswers:
    """One ``manage.py`` process answering DEP-01's, RUN-01..03's, MIG-01's and MIG-03's probes (see TargetAnswers)."""
    return TargetAnswers(settings, run)


class TrialStarter(Ahead["tuple[TrialStart, RanAhead | None]"]):
    """MIG-05's copy restored, the release's ``manage.py`` started on it and the copy's own plan migrated
    there, in a background thread (``gate.migrations.trial.prepare_trial``, then ``migrate_ahead``); MIG-05
    takes the start and the runs ahead (``None``: ran nothing, ``run_trial`` migrates itself), or the start
    is discarded with the session (a start that failed left nothing behind)."""

    def __init__(self) -> None:
        super().__init__("mig05-start", leftover=lambda taken: taken[0].discard())

    def begin(self, settings: Settings, backup: Backup, pg: DisposablePostgres, run_dir: Path) -> None:
        self.start(lambda: self._start_and_migrate(settings, backup, pg, run_dir))

    @staticmethod
    def _start_and_migrate(settings: Settings, backup: Backup, pg: DisposablePostgres,
                           run_dir: Path) -> tuple[TrialStart, RanAhead | None]:
        from gate.migrations.trial import kept_restore, migrate_ahead, prepare_trial

        start = prepare_trial(settings, backup, pg, kept_restore(run_dir, backup, pg))
        try:
            return start, migrate_ahead(start, settings)
        except Exception:  # noqa: BLE001 - the start is kept: run_trial migrates itself (on a fresh copy if this one changed)
            return start, None


@pytest.fixture(scope="session")
def trial_starter(settings: Settings, run: Run, backup: Backup, disposable_pg: DisposablePostgres) -> Iterator[TrialStarter]:
    """MIG-05's set-up, begun as soon as the session starts when this run's backup passed BKP-01..03
    (before that, MIG-05 fails on the backup and nothing is restored)."""
    from gate.window.guard import backup_verified

    starter = TrialStarter()
    if not [m for m in backup_verified(run) if not m.startswith("BKP-04")]:
        starter.begin(settings, backup, disposable_pg, run.dir)
    yield starter
    starter.end()


def _check_id(item: pytest.Item) -> str:
    mark = item.get_closest_marker("check")
    return str(mark.args[0]) if mark is not None and mark.args else ""


@pytest.fixture(scope="session", autouse=True)
def _mig05_beside_the_deploy_probes(request: pytest.FixtureRequest) -> None:
    """A session with MIG-05 (deploy:after+migrate:before in the window) starts two Django processes side by
    side at its first check, on a 2-core machine that halves their wait: the deployed release's probes
    (TargetAnswers: DEP-01, RUN-01..03 and MIG-01/03, whose plan MIG-05 needs) and MIG-05's copy restored
    with the release's ``manage.py`` started on it. Both only read the target; the copy is the disposable
    server's. A fixture that fails here fails MIG-05 the same way when MIG-05 asks for it."""
    if not any(_check_id(item) == "MIG-05" for item in request.session.items):
        return
    request.getfixturevalue("target_answers").start()
    try:
        request.getfixturevalue("trial_starter")
    except (Exception, pytest.skip.Exception, pytest.fail.Exception):  # noqa: BLE001 - MIG-05 reports it itself
        return


@pytest.fixture(scope="session")
def api(settings: Settings) -> ApiClient:
    """The target's public API over HTTP (``BASE_URL`` + ``API_PREFIX``)."""
    from gate.http import ApiClient

    return ApiClient(settings.base_url, settings.api_prefix)


@pytest.fixture(scope="session")
def linter(settings: Settings) -> Linter:
    """The runbook linter bound to the configured target (RUN-01..03)."""
    from gate.runbook import Linter

    if settings.database_url is None:
        pytest.skip("DATABASE_URL is not set: no target configured for the window's checks")
    return Linter(settings)


@pytest.fixture
def journal(run: Run) -> dict[str, StepRow]:
    """Per step its last journal state (``steps[]``)."""
    return {s["name"]: s for s in run.steps()}


@pytest.fixture(scope="session")
def log_paths(settings: Settings) -> dict[str, Path | None]:
    """The access log, django.log and the import log (``LOG_DIR`` defaults)."""
    base = settings.log_dir
    return {
        "access": settings.access_log or (base / "access.log" if base else None),
        "django": settings.django_log or (base / "django.log" if base else None),
        "import": settings.import_log or (base / "import_products.log" if base else None),
    }


BURST_RECORD = "latency_burst.json"


@pytest.fixture(scope="session")
def latency_burst(api: ApiClient, settings: Settings, run: Run, target_db: TargetDb, request: pytest.FixtureRequest) -> Burst:
    """One bounded burst of real requests (list, categories, a detail), saved in the run.

    PST-08 and PST-09 read the same burst. Under pytest-xdist each worker has its own session, so
    the first worker to take the run's lock sends the burst and records its samples with the
    test run's id; the others read that record (no second burst against the target).
    """
    import fcntl

    from gate.http import burst
    from gate.http.api import Burst, Sample

    record = run.dir / BURST_RECORD
    workerinput = getattr(request.config, "workerinput", {})  # xdist's: the same test run id on every worker
    test_run = str(workerinput.get("testrunuid", ""))
    with (run.dir / (BURST_RECORD + ".lock")).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if test_run and record.exists():
            saved = json.loads(record.read_text())
            if saved.get("test_run") == test_run:
                return Burst([Sample(str(p), int(s), float(sec)) for p, s, sec in saved["samples"]])
        paths = ["/products/", "/categories/"]
        try:
            row = target_db.conn.execute("SELECT slug FROM products WHERE is_active ORDER BY id LIMIT 1").fetchone()
        except Exception:  # noqa: BLE001 - a catalog without slugs: list and categories only
            row = None
        if row:
            paths.append(f"/products/{row[0]}/")
        result = burst(api, paths, settings.burst_requests, settings.burst_concurrency)
        tmp = record.with_suffix(".tmp")
        tmp.write_text(json.dumps({
            "requests": result.count, "concurrency": settings.burst_concurrency, "p95_ms": result.p95_ms,
            "p50_ms": result.percentile_ms(50), "errors": result.errors, "histogram": result.histogram(),
            "paths": paths, "test_run": test_run,
            "samples": [[s.path, s.status, s.seconds] for s in result.samples]}, indent=1))
        tmp.replace(record)
    return result


WINDOW_CHECK_PREFIXES = ("MNT-", "DEP-", "RUN-", "MIG-", "ONE-", "COL-", "FLS-", "IMP-", "PST-", "MON-")


@pytest.fixture(autouse=True)
def _window_checks_need_a_target(request: pytest.FixtureRequest) -> None:
    """The window's checks skip (a manual item, never a pass) when no target is configured at all."""
    mark = request.node.get_closest_marker("check")
    if mark is None or not mark.args or not str(mark.args[0]).startswith(WINDOW_CHECK_PREFIXES):
        return
    settings = request.getfixturevalue("settings")
    if settings.database_url is None:
        pytest.skip("DATABASE_URL is not set: no target configured for the window's checks")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Window checks run only when selected (``--check``/``--phase``, as the window runs them).

    A plain ``pytest`` lists them (``--co``) but cannot run them all at once: MNT-01 (maintenance
    on) and MNT-02 (off) never hold in the same session; each belongs to its phase of the window.
    """
    if config.getoption("--check") or config.getoption("--phase"):
        return
    for item in items:
        mark = item.get_closest_marker("check")
        if mark is not None and mark.args and str(mark.args[0]).startswith(WINDOW_CHECK_PREFIXES):
            item.add_marker(pytest.mark.skip(
                reason=f"a window check runs in its phase: make migrate / make <phase> / pytest --check "
                       f"{mark.args[0]}"))
