"""The gate's pytest plugin (``-p gate.plugin``): check ids, selection, outcomes, summary, verdict.

A check is a test carrying ``@pytest.mark.check("BKP-04")`` (severity defaults to the
registry's; a different one is an error). The plugin validates ids at collection, adds the
phase / directory markers and Allure labels, records every outcome, and on the controller
writes ``RUN_DIR/summary.json`` (merged with what earlier phases of the run wrote), prints
the checks and the verdict, and sets the exit status from the verdict.

A check lowers or raises its severity for this run with the ``effective_severity`` fixture
(``effective_severity("low")``), i.e. a ``("effective_severity", "low")`` user property.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

from gate import checks
from gate.types import CheckId, Outcome, Phase, Severity

if TYPE_CHECKING:
    from gate.run import Summary
    from gate.verdict import CheckResult, Decision

pytest_plugins = ["gate.fixtures", "gate.target_fixtures"]

CHECK_MARK = "check"
DESTRUCTIVE_MARK = "destructive"
NEEDS_MARK = "needs"
GATE_DIRS = ("preflight", "window", "postflight", "rollback")
ALLURE_SEVERITY = {Severity.CRITICAL: "blocker", Severity.HIGH: "critical", Severity.LOW: "minor"}
PROP_CHECK_ID = "check_id"
PROP_SEVERITY = "effective_severity"
PROP_MESSAGE = "check_message"
STATE_KEY = pytest.StashKey["GateState"]()
WORKER_RUN_DIR = "gate_run_dir"
"""The key of xdist's ``workerinput`` that hands the controller's run directory to each worker."""
_CONFIGS: list[pytest.Config] = []
"""Configs of the live sessions, innermost last (pytester runs sessions inside sessions)."""


def _state() -> GateState | None:
    return _CONFIGS[-1].stash.get(STATE_KEY, None) if _CONFIGS else None


@dataclass(slots=True)
class NodeResult:
    """What one test node did: its worst outcome, reason, duration, effective severity."""

    check_id: CheckId
    outcome: Outcome | None = None
    message: str = ""
    duration_s: float = 0.0
    severity: Severity | None = None


@dataclass(slots=True)
class GateState:
    """Per-session bookkeeping of the plugin."""

    gate_session: bool = False
    expected: dict[str, CheckId] = field(default_factory=dict)
    nodes: dict[str, NodeResult] = field(default_factory=dict)
    collection_errors: list[str] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)
    summary: Summary | None = None
    decision: Decision | None = None
    reported: set[str] = field(default_factory=set)
    phases: set[str] = field(default_factory=set)
    started: float = field(default_factory=time.monotonic)
    started_wall: float = field(default_factory=time.time)
    secrets: list[str] | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gate", "FreeSport migration gate")
    group.addoption(
        "--check",
        action="append",
        default=[],
        metavar="ID[,ID]",
        help="run only these check ids (repeatable, comma-separated)",
    )
    group.addoption(
        "--phase",
        action="append",
        default=[],
        metavar="PHASE[,PHASE]",
        help="run only the checks of these phases (" + ", ".join(p.value for p in Phase) + ")",
    )
    group.addoption(
        "--after-destructive",
        action="store_true",
        default=False,
        help="decide as if the first destructive step had started (ROLLBACK/MONITOR/HOTFIX, not NO-GO)",
    )
    group.addoption(
        "--run-dir",
        default=None,
        type=Path,
        help="this run's directory (default: the RUN_DIR / RUN_ID settings, else a new run under RUNS_ROOT)",
    )
    group.addoption(
        "--in-window",
        action="store_true",
        default=False,
        help="a check session of python -m gate.window: the window records the point of no return after each "
             "step (not each session) and the session's log lists its own checks and the verdict so far",
    )
    group.addoption(
        "--no-gate-summary",
        action="store_true",
        default=False,
        help="do not write RUN_DIR/summary.json nor set the exit status from the verdict",
    )


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _split(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _gate_dir(path: Path, rootdir: Path) -> str | None:
    try:
        parts = path.resolve().relative_to(rootdir.resolve()).parts
    except ValueError:
        parts = path.parts
    for first, second in zip(parts, parts[1:], strict=False):
        if first == "tests" and second in GATE_DIRS:
            return second
    return None


def _is_gate_session(config: pytest.Config) -> bool:
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        return True
    if config.getoption("--check") or config.getoption("--phase"):
        return True
    return any(_gate_dir(Path(str(arg).split("::")[0]), config.rootpath) for arg in config.args)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{CHECK_MARK}(id, severity=None): a gate check with its stable id (gate/checks.py)"
    )
    config.addinivalue_line(
        "markers", f"{DESTRUCTIVE_MARK}: the test changes the database it gets (own disposable database)"
    )
    config.addinivalue_line("markers", f"{NEEDS_MARK}(*what): the check needs these inputs (documentation)")
    for phase in Phase:
        config.addinivalue_line("markers", f"{phase.value}: checks of the {phase.value} phase")
    config.addinivalue_line("markers", "window: checks run inside the window (tests/window)")
    from gate.fixtures import RUN_DIR, SELECTED_PHASES  # imported by pytest_plugins already

    state = GateState()
    config.stash[STATE_KEY] = state
    if _is_worker(config) and config.workerinput.get(WORKER_RUN_DIR):  # type: ignore[attr-defined]
        config.stash[RUN_DIR] = Path(config.workerinput[WORKER_RUN_DIR])  # type: ignore[attr-defined]
    config.stash[SELECTED_PHASES] = state.phases  # the backup fixture takes a backup only for BKP checks
    _CONFIGS.append(config)
    for option in _split(config.getoption("--check")):
        if option not in checks.CHECKS:
            raise pytest.UsageError(
                f"--check {option}: unknown check id (known: {', '.join(checks.SPEC_IDS)})"
            )
    for option in _split(config.getoption("--phase")):
        if option not in {p.value for p in Phase} | set(GATE_DIRS):
            raise pytest.UsageError(
                f"--phase {option}: unknown phase (known: {', '.join(p.value for p in Phase)})"
            )
    state.gate_session = _is_gate_session(config) and not config.getoption("--no-gate-summary")
    if _is_gate_session(config):  # said once on stderr (pytest_cmdline_main) and in the record, not per test
        config.addinivalue_line("filterwarnings", "ignore::gate.settings.SettingsWarning")
    listing_only = config.option.collectonly or getattr(config.option, "help", False)
    if state.gate_session and not _is_worker(config) and not listing_only:
        _open_run(config, state)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """A gate session that cannot start says why in one line and exits 2: bad settings, or no target at all."""
    if _is_worker(config) or config.getoption("--no-gate-summary") or not _is_gate_session(config):
        return None
    if config.option.collectonly or getattr(config.option, "help", False) or getattr(config.option, "version", False):
        return None
    import sys

    from gate.settings import SettingsError, announce_env_file_warnings, load_settings, no_target

    announce_env_file_warnings(sys.stderr)
    try:
        load_settings()
    except SettingsError as exc:
        message = f"settings: {exc}"
    else:
        message = no_target() or ""
    if not message:
        return None
    sys.stderr.write(f"{message}\n")
    return 2


def pytest_report_header(config: pytest.Config) -> str | None:
    """A missing ``RUNBOOK``: said once, at the top of the session (what falls back, what cannot run)."""
    state = config.stash.get(STATE_KEY, None)
    if state is None or not state.gate_session:
        return None
    from gate.fixtures import SETTINGS
    from gate.settings import SettingsError, load_settings
    from gate.window.budgets import missing_runbook

    settings = config.stash.get(SETTINGS, None)  # read when the run was opened (not for a listing: --co)
    if settings is None:
        try:
            settings = load_settings()
        except SettingsError:
            return None
    return missing_runbook(settings.runbook)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Outside a gate session (``pytest tests/`` = the project's own tests) the check dirs are not collected."""
    state = config.stash.get(STATE_KEY, None)
    if state is None or state.gate_session or config.getoption("--no-gate-summary"):
        return None
    if collection_path.is_dir() and collection_path.parent.name == "tests" and collection_path.name in GATE_DIRS:
        return True
    return None


def _open_run(config: pytest.Config, state: GateState) -> None:
    """Fix the run directory for this session (and its xdist workers) and point Allure into it."""
    from gate.fixtures import RUN_DIR, SETTINGS
    from gate.run import Run
    from gate.settings import SettingsError, load_settings, run_location

    given: Path | None = config.getoption("--run-dir")
    try:
        settings = load_settings()
        config.stash[SETTINGS] = settings  # read once: the fixture and the session's end take these
        run = Run.open(given or settings.run_dir, None if given else settings.run_id, settings.runs_root)
    except SettingsError:  # the run is still recorded (the summary says why the settings failed)
        run_dir, run_id = run_location()
        run = Run.open(given or run_dir, None if given else run_id)
    config.stash[RUN_DIR] = run.dir
    allure = config.pluginmanager.hasplugin("allure_pytest") and hasattr(config.option, "allure_report_dir")
    if allure and not config.option.allure_report_dir:
        config.option.allure_report_dir = str(run.dir / "allure-results")


def _known_secrets(state: GateState | None) -> list[str]:
    """The settings' secret values (env file included), read once per session."""
    from gate.settings import known_secrets

    if state is None:
        return known_secrets()
    if state.secrets is None:
        state.secrets = known_secrets()
    return state.secrets


def scrub_report(report: pytest.TestReport | pytest.CollectReport, known: list[str]) -> None:
    """Redact secrets from a report's traceback, skip reason and captured output (in place).

    pytest's long traceback shows function arguments (``conninfo = "user=… password=…"``); the
    terminal, ``summary.json`` messages and Allure's ``trace`` are all printed from here.
    """
    from gate.redact import redact

    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        report.longrepr = (longrepr[0], longrepr[1], redact(str(longrepr[2]), known=known))
    elif longrepr is not None:
        text = str(longrepr)
        clean = redact(text, known=known)
        if clean != text:
            report.longrepr = clean
    report.sections = [(title, redact(content, known=known)) for title, content in report.sections]


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Innermost wrapper: the report is scrubbed before Allure or the terminal reads it."""
    report = yield
    scrub_report(report, _known_secrets(item.config.stash.get(STATE_KEY, None)))
    return report


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    scrub_report(report, _known_secrets(collector.config.stash.get(STATE_KEY, None)))
    return report


def scrub_tree(directory: Path, known: list[str], since: float = 0.0) -> list[Path]:
    """Redact secrets inside every text file under ``directory`` written since ``since``; the files changed."""
    from gate.redact import redact

    changed = []
    for path in directory.rglob("*") if directory.is_dir() else ():
        if not path.is_file() or path.stat().st_mtime < since:
            continue
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError):
            continue
        clean = redact(text, known=known)
        if clean != text:
            path.write_text(clean)
            changed.append(path)
    return changed


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE_KEY, None)
    allure_dir = getattr(config.option, "allure_report_dir", None)
    if state is not None and allure_dir:
        # Allure writes the exception text (``call.excinfo.exconly()``) itself: scrub its files after it
        scrub_tree(Path(allure_dir), _known_secrets(state), state.started_wall - 1)
    if config in _CONFIGS:
        _CONFIGS.remove(config)


def check_of(item: pytest.Item) -> checks.Check | None:
    """The registry entry of a test's ``check`` marker (``None`` for a plain test)."""
    mark = item.get_closest_marker(CHECK_MARK)
    if mark is None:
        return None
    if not mark.args or not isinstance(mark.args[0], str):
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.check needs the check id as first argument")
    check_id = mark.args[0]
    if check_id not in checks.CHECKS or checks.CHECKS[check_id].synthetic:
        raise pytest.UsageError(
            f"{item.nodeid}: unknown check id {check_id!r} (not in the checklist, gate/checks.py)"
        )
    known = checks.CHECKS[check_id]
    severity = mark.kwargs.get("severity")
    if severity is not None and Severity(severity) is not known.severity:
        raise pytest.UsageError(
            f"{item.nodeid}: {check_id} is {known.severity.value} in the checklist, the marker says {severity}"
        )
    return known


def _decorate(item: pytest.Item, check: checks.Check) -> None:
    item.add_marker(check.phase.value)
    item.add_marker(pytest.mark.allure_label(check.id, label_type="as_id"))
    item.add_marker(pytest.mark.allure_label(ALLURE_SEVERITY[check.severity], label_type="severity"))
    item.add_marker(pytest.mark.allure_label(check.phase.value, label_type="suite"))
    item.add_marker(pytest.mark.allure_label(check.severity.value, label_type="tag"))
    item.add_marker(pytest.mark.allure_label(check.id, label_type="tag"))
    item.add_marker(pytest.mark.allure_description(check.line))
    function = getattr(item, "function", None)
    if function is not None and not hasattr(function, "__allure_display_name__"):
        name = function.__name__.removeprefix("test_").replace("_", " ")
        with contextlib.suppress(AttributeError, TypeError):
            function.__allure_display_name__ = f"{check.id} {name}"
    item.user_properties.append((PROP_CHECK_ID, check.id))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    owners: dict[CheckId, str] = {}
    for item in items:
        gate_dir = _gate_dir(item.path, config.rootpath)
        if gate_dir:
            item.add_marker(gate_dir)
        check = check_of(item)
        if check is None:
            if gate_dir:
                raise pytest.UsageError(
                    f"{item.nodeid}: every test under tests/{gate_dir}/ is a check: add @pytest.mark.check(<id>)"
                )
            continue
        function_id = item.nodeid.split("[", 1)[0]
        if owners.setdefault(check.id, function_id) != function_id:
            raise pytest.UsageError(
                f"duplicated check id {check.id}: {owners[check.id]} and {function_id} (one test per id)"
            )
        _decorate(item, check)
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS and not config.getoption("--check"):
        missing = [cid for cid in checks.SPEC_IDS if cid not in owners]
        if missing:
            raise pytest.UsageError(f"checklist ids without a test: {', '.join(missing)}")
    wanted_ids = set(_split(config.getoption("--check")))
    wanted_phases = set(_split(config.getoption("--phase")))
    if not (wanted_ids or wanted_phases):
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        check = checks.CHECKS.get(_item_check_id(item) or "")
        selected = check is not None and (
            (not wanted_ids or check.id in wanted_ids)
            and (
                not wanted_phases
                or check.phase.value in wanted_phases
                or bool(wanted_phases & {m.name for m in item.iter_markers()})
            )
        )
        (keep if selected else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _item_check_id(item: pytest.Item) -> CheckId | None:
    for key, value in item.user_properties:
        if key == PROP_CHECK_ID:
            return str(value)
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    state: GateState = session.config.stash[STATE_KEY]
    for item in session.items:
        check_id = _item_check_id(item)
        if check_id:
            state.expected[item.nodeid] = check_id
            state.phases.add(checks.CHECKS[check_id].phase.value)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: _WorkerNode) -> None:
    """Controller side of xdist: each worker records into the controller's run directory."""
    from gate.fixtures import RUN_DIR

    run_dir = node.config.stash.get(RUN_DIR, None)
    if run_dir is not None:
        node.workerinput[WORKER_RUN_DIR] = str(run_dir)


class _WorkerNode(Protocol):
    """What the plugin uses of xdist's ``WorkerController`` (xdist ships no type information)."""

    config: pytest.Config
    workerinput: dict[str, object]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: object, ids: list[str]) -> None:
    """Controller side of xdist: the nodes a worker collected are what must run."""
    state = _state()
    if state is not None:
        for nodeid in ids:
            state.expected.setdefault(nodeid, "")


@pytest.hookimpl(optionalhook=True)
def pytest_handlecrashitem(crashitem: str, report: pytest.TestReport, sched: object) -> None:
    state = _state()
    if state is not None:
        state.crashed.append(crashitem)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    state = _state()
    if report.failed and state is not None:
        text = [line for line in str(report.longrepr).strip().splitlines() if line.strip()]
        errors = [line[1:].strip() for line in text if line.startswith("E ")]
        detail = (errors[-1] if errors else text[-1]) if text else "collection error"
        state.collection_errors.append(f"collection error in {report.nodeid or '<session>'}: {detail}")


def _reason(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    text = getattr(report, "longreprtext", "") or str(report.longrepr or "")
    lines = [line for line in text.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    if errors and errors[0].startswith("AssertionError: ") and len(errors[0]) > len("AssertionError: "):
        own = []
        for line in errors:
            if line.startswith(("assert ", "+", "where ")):
                break
            own.append(line)
        errors = own
        errors[0] = errors[0].removeprefix("AssertionError: ")
    if errors:
        return " ".join(errors[:6])[:1000]
    if lines and not lines[0].startswith(("    ", "\t", "Traceback", "self = ", "def ", "@")):
        return " ".join(line.strip() for line in lines[:6])[:1000]
    return (lines[-1] if lines else "")[:1000]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    state = _state()
    if state is None:
        return
    if report.when == "teardown" or report.failed or (report.when == "setup" and report.skipped):
        state.reported.add(report.nodeid)
    props = dict(report.user_properties)
    check_id = props.get(PROP_CHECK_ID)
    if not check_id:
        return
    node = state.nodes.setdefault(report.nodeid, NodeResult(str(check_id)))
    node.duration_s += float(report.duration or 0)
    if PROP_SEVERITY in props:
        node.severity = Severity(str(props[PROP_SEVERITY]))
    if report.failed:
        if node.outcome is not Outcome.FAILED:
            where = "" if report.when == "call" else f"[{report.when} error] "
            node.message = str(props.get(PROP_MESSAGE) or "") or where + _reason(report)
        node.outcome = Outcome.FAILED
    elif report.skipped and node.outcome is None:
        if hasattr(report, "wasxfail"):
            node.outcome, node.message = Outcome.FAILED, f"xfail: {report.wasxfail}"
        else:
            node.outcome, node.message = Outcome.SKIPPED, _reason(report)
    elif report.passed and report.when == "call" and node.outcome is None:
        node.outcome = Outcome.PASSED
        node.message = str(props.get(PROP_MESSAGE) or "")


def aggregate(state: GateState) -> list[CheckResult]:
    """Per check id one result: failed if any node failed, skipped only if all skipped."""
    from gate.verdict import CheckResult

    by_id: dict[CheckId, list[NodeResult]] = {}
    for node in state.nodes.values():
        if node.outcome is not None:
            by_id.setdefault(node.check_id, []).append(node)
    results = []
    for check_id, nodes in by_id.items():
        known = checks.CHECKS[check_id]
        failed = [n for n in nodes if n.outcome is Outcome.FAILED]
        passed = [n for n in nodes if n.outcome is Outcome.PASSED]
        if failed:
            outcome, chosen = Outcome.FAILED, failed
        elif passed:
            outcome, chosen = Outcome.PASSED, passed
        else:
            outcome, chosen = Outcome.SKIPPED, nodes
        severities = [n.severity for n in chosen if n.severity is not None]
        severity = max(severities, key=lambda s: s.rank) if severities else known.severity
        message = "; ".join(dict.fromkeys(n.message for n in chosen if n.message))
        if len(nodes) > 1:
            message = f"{len(chosen)}/{len(nodes)} {outcome.value}" + (f": {message}" if message else "")
        results.append(
            CheckResult(
                check_id, outcome, severity, message, sum(n.duration_s for n in nodes), known.phase.value
            )
        )
    return results


def completeness(state: GateState) -> CheckResult:
    """GATE-01: every node that was selected produced an outcome; no collection error."""
    from gate.verdict import CheckResult

    ran = {nodeid for nodeid, node in state.nodes.items() if node.outcome is not None}
    missing = sorted(set(state.expected) - ran - state.reported)
    problems = list(dict.fromkeys(state.collection_errors))
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        problems.append(f"{len(missing)} selected check(s) never reported: {shown}")
    problems += [f"worker crashed while running {c}" for c in state.crashed]
    expected = len(state.expected)
    if problems:
        return CheckResult("GATE-01", Outcome.FAILED, Severity.CRITICAL, "; ".join(problems), 0.0, "gate")
    return CheckResult(
        "GATE-01",
        Outcome.PASSED,
        Severity.CRITICAL,
        f"{len(ran)} of {expected} selected check tests reported",
        0.0,
        "gate",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state: GateState | None = config.stash.get(STATE_KEY, None)
    if state is None or _is_worker(config) or not state.gate_session or config.option.collectonly:
        return
    if not state.expected and not state.nodes and not state.collection_errors:
        return
    from gate.fixtures import RUN_DIR, SETTINGS
    from gate.run import Run, write_summary
    from gate.settings import SettingsError, env_file_warnings, load_settings

    run = Run.open(config.stash[RUN_DIR])
    try:
        settings = config.stash.get(SETTINGS, None) or load_settings()
        target, release = settings.target, settings.release_tag
        if not config.getoption("--in-window"):  # the window records it after each step that could pass it
            from gate.db.point_of_no_return import record_if_passed

            record_if_passed(settings.dsn() if settings.database_url else None, run.dir)
    except SettingsError as exc:
        target, release = f"(settings error: {exc})", ""
    results = [*aggregate(state), completeness(state)]
    summary, decision = write_summary(run, results, target, release, {"settings_warnings": env_file_warnings()},
                                      after_destructive=bool(config.getoption("--after-destructive")))
    state.summary, state.decision = summary, decision
    session.exitstatus = decision.exit_code


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    state: GateState | None = config.stash.get(STATE_KEY, None)
    if state is None or state.summary is None:
        return
    from gate.console import plain_summary, render_summary

    summary = state.summary
    buffer = io.StringIO()
    if config.getoption("--in-window"):  # the window shows the run; this session's log, its own checks, plainly
        own = {*state.expected.values(), "GATE-01"}
        plain_summary({**summary, "checks": [r for r in summary.get("checks", []) if r["id"] in own]}, buffer)
    else:
        render_summary(summary, buffer, color=bool(terminalreporter.isatty))
    terminalreporter.write(buffer.getvalue())


def pytest_report_collectionfinish(config: pytest.Config, items: list[pytest.Item]) -> list[str] | None:
    """``pytest --co`` prints each check's id, severity and runbook line."""
    if not config.option.collectonly:
        return None
    lines = []
    for item in items:
        check_id = _item_check_id(item)
        if check_id:
            c = checks.CHECKS[check_id]
            lines.append(f"{c.id:<7} {c.severity.value:<8} {c.phase.value:<15} {c.line}  [{item.nodeid}]")
    return ["", "gate checks:", *lines] if lines else None
