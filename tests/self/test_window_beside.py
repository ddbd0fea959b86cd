"""A check session runs beside the step after it only when that step only reads the target.

The runner is real (``WindowRunner.execute``), its step scripts are stubs that write when they
started and ended, and its check sessions are stand-ins that take a while and say passed or not:
what is claimed is the order of things, not what the checks find.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from rich.console import Console

from gate.run import Run
from gate.settings import load_settings
from gate.window.runner import Action, WindowRunner

SESSION_S = 0.6


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A runner with checks on, stub steps that stamp their start and end, sessions that take ``SESSION_S``."""
    (tmp_path / "empty.env").write_text("")
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "empty.env"))
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    stamps = tmp_path / "stamps"
    stamps.mkdir()

    def make(codes: dict[str, int] | None = None, passes: dict[str, bool] | None = None, verdict: str = "NO-GO",
             **env: str) -> tuple[WindowRunner, dict[str, tuple[float, float]]]:
        for name in ("backup", "flush_dry_run", "migrate", "smoke"):
            (scripts / f"{name}.sh").write_text(
                f"date +%s.%N >{stamps}/{name}.start\nsleep 0.3\ndate +%s.%N >{stamps}/{name}.end\n"
                f"exit {(codes or {}).get(name, 0)}\n")
        settings = load_settings(environ={"RUN_DIR": str(tmp_path / "run"), "ENV_FILE": str(tmp_path / "empty.env"),
                                          **env}, env_file=None)
        console = Console(file=io.StringIO(), force_terminal=False, width=120)
        win = WindowRunner(settings, Run.open(settings.run_dir), confirm=True, console=console, scripts_dir=scripts)
        sessions: dict[str, tuple[float, float]] = {}

        def run_checks(label: str, ids: tuple[str, ...], xdist: bool = False, after_destructive: bool = False) -> bool:
            t0 = time.time()
            time.sleep(SESSION_S)
            sessions[label] = (t0, time.time())
            return (passes or {}).get(label, True)

        monkeypatch.setattr(win, "run_checks", run_checks)
        monkeypatch.setattr(win, "verdict", lambda: verdict)
        return win, sessions

    def step(name: str) -> tuple[float, float] | None:
        start, end = stamps / f"{name}.start", stamps / f"{name}.end"
        return (float(start.read_text()), float(end.read_text())) if start.exists() else None

    make.step = step  # type: ignore[attr-defined]
    return make


def checks(label: str, *ids: str, hard: bool = False) -> Action:
    return Action("checks", label, ids or ("PST-04",), hard=hard)


def step(name: str, scripts: Path) -> Action:
    return Action("step", name, script=scripts / f"{name}.sh")


@pytest.mark.parametrize("name", ["flush_dry_run", "smoke"])
def test_a_session_runs_beside_a_step_that_only_reads_the_target(runner, name) -> None:
    win, sessions = runner()
    assert win.execute([checks("before"), step(name, win.scripts_dir)])
    began, ended = runner.step(name)
    assert sessions["before"][0] < ended and began < sessions["before"][1], "the step ran while the session ran"


def test_a_session_never_runs_beside_a_step_that_changes_the_target(runner) -> None:
    win, sessions = runner()
    assert win.execute([checks("migrate:before", "MIG-01"), step("migrate", win.scripts_dir)])
    assert runner.step("migrate")[0] >= sessions["migrate:before"][1], "migrate started after its checks ended"


def test_a_hard_session_never_runs_beside_the_step_after_it(runner) -> None:
    win, sessions = runner()
    assert win.execute([checks("flush_dry_run:after", "FLS-01", hard=True), step("smoke", win.scripts_dir)])
    assert runner.step("smoke")[0] >= sessions["flush_dry_run:after"][1]


def test_a_no_go_beside_a_reading_step_stops_the_window_before_the_next_step(runner) -> None:
    win, _ = runner(passes={"pre_import:after": False})
    actions = [checks("pre_import:after", "ONE-02"), step("flush_dry_run", win.scripts_dir),
               step("migrate", win.scripts_dir)]
    assert win.execute(actions) is False
    assert runner.step("flush_dry_run") is not None and runner.step("migrate") is None


def test_a_reading_step_that_fails_beside_a_session_fails_its_claim_and_stops_the_window(runner) -> None:
    win, _ = runner(codes={"smoke": 1})
    failed: list[str] = []
    win.fail_step = lambda name, code: failed.append(name)  # type: ignore[method-assign]
    assert win.execute([checks("maintenance_off:after+smoke:before"), step("smoke", win.scripts_dir),
                        step("migrate", win.scripts_dir)]) is False
    assert failed == ["smoke"] and runner.step("migrate") is None


def test_the_backup_outside_the_windows_hours_waits_for_the_preflight(runner) -> None:
    win, sessions = runner(WINDOW_START="02:00", WINDOW_END="04:00", WINDOW_NOW="2026-12-06T12:00:00+00:00",
                           WINDOW_TZ="UTC")
    assert win.execute([checks("preflight:before", "PRE-07"), step("backup", win.scripts_dir)])
    assert runner.step("backup")[0] >= sessions["preflight:before"][1], "out of hours: the preflight's NO-GO comes first"


def test_the_backup_inside_the_windows_hours_runs_beside_the_preflight(runner) -> None:
    win, sessions = runner(WINDOW_START="02:00", WINDOW_END="04:00", WINDOW_NOW="2026-12-06T02:30:00+00:00",
                           WINDOW_TZ="UTC")
    assert win.execute([checks("preflight:before", "PRE-07"), step("backup", win.scripts_dir)])
    began, ended = runner.step("backup")
    assert began < sessions["preflight:before"][1] and sessions["preflight:before"][0] < ended
