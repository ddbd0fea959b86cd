"""The step runner: journal, budgets, stop at the first failure with the right verdict, guard, resume."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from gate.run import Run, write_summary
from gate.settings import load_settings
from gate.types import Outcome, Severity
from gate.verdict import CheckResult
from gate.window.runner import ResumeRefused, WindowRunner
from gate.window.stages import Stage

STAGES = (
    Stage("backup", "backup"),
    Stage("migrate", "migrate", destructive=True),
    Stage("flush", "flush", destructive=True),
    Stage("smoke", "smoke"),
)
GUARDED_FLUSH = ('confirm=(); [[ "${CONFIRM:-}" == "yes" ]] && confirm=(--confirm)\n'
                 '"$GATE_PYTHON" -m gate.window.guard flush "${confirm[@]}" --run-dir "$RUN_DIR" '
                 '--window-steps "${GATE_WINDOW_STEPS:-}"\necho flushed >"$RUN_DIR/flushed"\n')  # as scripts/steps/flush.sh


@pytest.fixture
def window(tmp_path, monkeypatch):
    """A runner over stub step scripts (exit codes set per test) and an isolated run directory."""
    (tmp_path / "empty.env").write_text("")
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "empty.env"))
    monkeypatch.delenv("CONFIRM", raising=False)
    scripts = tmp_path / "scripts"
    scripts.mkdir()

    def make(codes: dict[str, int] | None = None, confirm: bool = True, backup_passed: bool = True,
             run_dir: Path | None = None) -> WindowRunner:
        for name in ("backup", "migrate", "smoke"):
            code = (codes or {}).get(name, 0)
            (scripts / f"{name}.sh").write_text(f"echo running {name}\nexit {code}\n")
        (scripts / "flush.sh").write_text("set -euo pipefail\n" + GUARDED_FLUSH)
        env = {"RUN_DIR": str(run_dir or tmp_path / "run"), "ENV_FILE": str(tmp_path / "empty.env")}
        settings = load_settings(environ=env, env_file=None)
        monkeypatch.setenv("RUN_DIR", env["RUN_DIR"])
        run = Run.open(settings.run_dir)
        if backup_passed:
            write_summary(run, [CheckResult(i, Outcome.PASSED, Severity.CRITICAL) for i in
                                ("BKP-01", "BKP-02", "BKP-03", "BKP-04")], settings.target)
        console = Console(file=io.StringIO(), force_terminal=False, width=120)
        return WindowRunner(settings, run, confirm=confirm, console=console, checks_on=False, stages=STAGES,
                            scripts_dir=scripts)

    return make


def test_a_clean_window_journals_every_step_with_its_runbook_budget_and_ends_go(window):
    runner = window()
    assert runner.run_window() == "GO"
    entries = runner.run.journal()
    assert [(e["name"], e["event"]) for e in entries] == [
        ("backup", "start"), ("backup", "end"), ("migrate", "start"), ("migrate", "end"),
        ("flush", "start"), ("flush", "end"), ("smoke", "start"), ("smoke", "end")]
    steps = {s["name"]: s for s in runner.run.read_summary()["steps"]}
    assert steps["backup"]["budget_s"] == 600 and steps["migrate"]["budget_s"] == 180
    assert steps["flush"]["budget_s"] == 120 and steps["smoke"]["exit_code"] == 0
    assert "running smoke" in steps["smoke"]["output_tail"] and steps["smoke"]["duration_s"] >= 0
    assert (runner.run.dir / "flushed").exists() and (runner.run.dir / "steps" / "migrate.log").exists()
    assert runner.run.read_summary()["destructive_started"] is True


def test_a_failed_step_before_migrate_is_no_go_and_nothing_after_runs(window):
    runner = window({"backup": 1})
    assert runner.run_window() == "NO-GO"
    assert [e["name"] for e in runner.run.journal()] == ["backup", "backup"]
    summary = runner.run.read_summary()
    assert summary["destructive_started"] is False
    bkp = next(r for r in summary["checks"] if r["id"] == "BKP-01")
    assert bkp["outcome"] == "failed" and "step backup exited 1" in bkp["message"]


def test_a_failed_migrate_is_rollback_decided_by_mig_02_and_the_flush_never_runs(window):
    runner = window({"migrate": 1})
    assert runner.run_window() == "ROLLBACK"
    summary = runner.run.read_summary()
    assert summary["decision"]["deciding_check"] == "MIG-02"
    assert "migration failed" in summary["decision"]["matrix_row"].lower()
    assert not (runner.run.dir / "flushed").exists()
    assert "flush" not in {e["name"] for e in runner.run.journal()}


def test_flush_without_confirmation_is_refused_and_changes_nothing(window):
    runner = window(confirm=False)
    assert runner.run_window() == "ROLLBACK"
    flush = next(s for s in runner.run.read_summary()["steps"] if s["name"] == "flush")
    assert flush["exit_code"] == 3 and "no confirmation" in flush["output_tail"]
    assert not (runner.run.dir / "flushed").exists()


def test_flush_without_this_runs_verified_backup_is_refused_even_when_confirmed(window):
    runner = window(backup_passed=False)
    runner.run_window()
    flush = next(s for s in runner.run.read_summary()["steps"] if s["name"] == "flush")
    assert flush["exit_code"] == 3 and "BKP-01 has not run in this run" in flush["output_tail"]
    assert not (runner.run.dir / "flushed").exists()


def test_resume_re_checks_preconditions_and_never_silently_repeats_a_completed_step(window, tmp_path):
    runner = window({"smoke": 1})
    assert runner.run_window() == "ROLLBACK"
    resumed = window({"smoke": 1}, run_dir=runner.run.dir)
    with pytest.raises(ResumeRefused, match="step flush already completed"):
        resumed.run_window(start="flush")
    assert resumed.run_window(start="smoke") == "ROLLBACK"  # smoke still fails: nothing was fixed
    (tmp_path / "scripts" / "smoke.sh").write_text("echo ok\n")
    resumed.run_window(start="smoke")
    assert "smoke" in resumed.completed_steps()
    with pytest.raises(ResumeRefused, match="step smoke already completed"):
        resumed.run_window(start="smoke")
    resumed.run_window(start="smoke", repeat=True)
    names = [e["name"] for e in resumed.run.journal() if e["event"] == "start"]
    assert names.count("flush") == 1 and names.count("smoke") == 4


def test_resume_at_a_step_whose_predecessor_never_completed_is_refused(window):
    runner = window({"migrate": 1})
    runner.run_window()
    with pytest.raises(ResumeRefused, match="step migrate has not completed"):
        window(run_dir=runner.run.dir).run_window(start="flush")


def test_the_journal_is_json_lines_with_output_tails(window):
    runner = window()
    runner.run_window()
    for line in (runner.run.dir / "journal.jsonl").read_text().splitlines():
        entry = json.loads(line)
        assert entry["name"] and entry["event"] in ("start", "end", "note")


def test_the_live_view_shows_each_step_elapsed_versus_budget_and_the_time_left(window):
    runner = window()
    runner.run_window()
    out = io.StringIO()
    Console(file=out, force_terminal=True, width=160).print(runner.render())
    text = out.getvalue()
    assert "window open (rehearsal)" not in text and "min left" in text
    assert "/ 180s" in text and "migrate" in text and "done" in text


def test_a_step_over_its_budget_is_noted_in_the_journal(window):
    runner = window()
    runner.budgets["smoke"] = 0.01
    (runner.scripts_dir / "smoke.sh").write_text("sleep 0.2\n")
    runner.run_window()
    notes = [e for e in runner.run.journal() if e["event"] == "note"]
    assert notes and notes[0]["name"] == "smoke" and "over budget" in notes[0]["note"]
    assert any(r.status == "over budget" for r in runner.rows)


def test_on_a_terminal_the_window_runs_under_the_rich_live_view(window, monkeypatch):
    monkeypatch.setenv("GATE_LIVE", "1")
    runner = window()
    out = io.StringIO()
    runner.console = Console(file=out, force_terminal=True, width=140)
    assert runner.run_window() == "GO"
    text = out.getvalue()
    assert "migration window — run" in text and "smoke: running smoke" in text


def test_make_migrate_without_confirmation_refuses_before_anything_starts(tmp_path, monkeypatch, capsys):
    from gate.window.__main__ import main

    (tmp_path / "empty.env").write_text("")
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "empty.env"))
    monkeypatch.setenv("RUN_DIR", str(tmp_path / "run"))
    monkeypatch.delenv("CONFIRM", raising=False)
    assert main(["migrate"]) == 3
    assert "refused before anything started" in capsys.readouterr().out
    assert not (tmp_path / "run" / "journal.jsonl").exists()


class _FakeServer:
    """A warm server as the window sees it: which env it serves, whether it was closed or discarded."""

    def __init__(self, serves: bool) -> None:
        self.serving, self.closed, self.discarded, self.last_prepared = serves, False, False, False

    def serves(self, env: dict[str, str]) -> bool:
        return self.serving

    def close(self) -> None:
        self.closed = True

    def discard(self) -> None:
        self.discarded = True


def test_a_server_started_before_the_window_is_taken_when_it_serves_the_window(window, monkeypatch):
    from gate.window import runner as runner_module

    started: list[object] = []
    monkeypatch.setattr(runner_module.PytestServer, "start", classmethod(lambda cls, *a: started.append(a) or fresh))
    fresh = _FakeServer(True)
    runner = window()
    runner.checks_on, early = True, _FakeServer(True)
    runner.warm_server = early  # type: ignore[assignment]
    assert runner.run_window() == "GO"
    assert early.closed and not started and runner.warm_server is None  # no second warm-up
    other = _FakeServer(False)  # e.g. started with another PYTHONPATH than the window's sessions get
    runner.warm_server = other  # type: ignore[assignment]
    runner.run_window(only="smoke", repeat=True)
    assert other.discarded and len(started) == 1 and fresh.closed


def test_the_early_server_starts_only_for_a_window_that_runs_checks(tmp_path, monkeypatch):
    import argparse

    from gate.window import __main__ as window_main

    monkeypatch.setattr(window_main.PytestServer, "start", classmethod(lambda cls, *a: "server"))
    (tmp_path / "t.env").write_text("DATABASE_URL=postgresql://u@127.0.0.1:1/db\n")
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "t.env"))
    on, off = (load_settings(environ={"WINDOW_CHECKS": v}, env_file=tmp_path / "t.env") for v in ("true", "false"))

    def early(command: str, settings, **extra) -> object:
        return window_main._early_server(argparse.Namespace(command=command, **extra), settings)

    assert early("migrate", on, confirm=True, no_checks=False) == "server"
    assert early("step", on, confirm=False) == "server"
    assert early("migrate", off, confirm=True, no_checks=False) is None  # bare steps: nothing to warm
    assert early("migrate", on, confirm=True, no_checks=True) is None
    assert early("checks", on) is None and early("status", on) is None
    monkeypatch.setattr(window_main.sys.stdin, "isatty", lambda: False)
    assert early("migrate", on, confirm=False, no_checks=False) is None  # refused before anything starts


def test_a_server_started_before_the_settings_is_kept_only_when_it_serves_the_window(tmp_path, monkeypatch):
    import argparse

    from gate.window import __main__ as window_main
    from gate.window import pytest_server

    monkeypatch.setattr(window_main.PytestServer, "start", classmethod(lambda cls, *a: "started"))
    (tmp_path / "t.env").write_text("DATABASE_URL=postgresql://u@127.0.0.1:1/db\n")
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "t.env"))
    on, off = (load_settings(environ={"WINDOW_CHECKS": v}, env_file=tmp_path / "t.env") for v in ("true", "false"))
    migrate = argparse.Namespace(command="migrate", confirm=True, no_checks=False)
    serving, other, unwanted = _FakeServer(True), _FakeServer(False), _FakeServer(True)
    assert window_main._early_server(migrate, on, serving) is serving and not serving.discarded
    assert window_main._early_server(migrate, on, other) == "started" and other.discarded  # another PYTHONPATH
    assert window_main._early_server(migrate, off, unwanted) is None and unwanted.discarded  # bare steps
    monkeypatch.delenv("WINDOW_CHECKS", raising=False)
    assert pytest_server.speculative_server(["migrate", "--confirm"]) == "started"
    assert pytest_server.speculative_server(["step", "backup"]) == "started"
    for argv in (["migrate", "--no-checks"], ["checks", "PRE-01"], ["status"], [], ["migrate", "--help"]):
        assert pytest_server.speculative_server(argv) is None, argv
    monkeypatch.setenv("WINDOW_CHECKS", "false")
    assert pytest_server.speculative_server(["migrate", "--confirm"]) is None
