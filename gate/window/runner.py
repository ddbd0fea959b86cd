"""The step runner: runs the window's stages, journals every step, stops at the first failure.

Each step script runs with the target's environment (``gate.target_cmd.target_env``), its
output teed to ``RUN_DIR/steps/<step>.log``; the journal (``RUN_DIR/journal.jsonl``) gets a start
entry and an end entry (duration, exit code, budget, output tail) per step, and ``summary.json``
``steps[]`` is rebuilt from it after each one. Checks run as pytest sessions over the same
``RUN_DIR`` (``--check`` ids), so every phase appends to one run and one verdict.

The window stops when the verdict so far is NO-GO or ROLLBACK; MONITOR and HOTFIX let it go on
(the matrix says: the site goes live and is watched or fixed forward, maintenance must go off).
"""

from __future__ import annotations

import collections
import json
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from gate import checks
from gate.run import Run, StepRecord, StepRow, Summary, now_utc, write_summary
from gate.settings import REPO, Settings, env_file_warnings
from gate.target_cmd import target_env
from gate.types import Outcome, Verdict
from gate.verdict import CheckResult
from gate.window.budgets import budgets_from, missing_runbook
from gate.window.pytest_server import UNUSED_PLUGINS, PytestServer, window_python
from gate.window.stages import PRE_STEP_CHECKS, READS_ONLY, SCRIPTS, STAGES, STEP_FAILURE_CHECK, Stage, stage

if TYPE_CHECKING:
    from disposable_pg.handover import Shared

STOP_VERDICTS = frozenset({Verdict.NO_GO.value, Verdict.ROLLBACK.value})
TAIL_LINES = 30
GATE_TEST_DIRS = ("tests/preflight", "tests/window", "tests/postflight")
PROTECTED_BEFORE = "mig04_before.json"
ERROR_LINE = re.compile(r"Unknown command|unrecognized arguments|[Ee]rror\b|No such file|not found")
ONEC_BEFORE = "onec_before.json"
DISPOSABLE_PG_CHECKS = frozenset({"BKP-04", "MIG-05"})
"""The checks that restore into a disposable server: the window starts one for all of them."""


class ResumeRefused(RuntimeError):
    """``FROM=<step>`` cannot resume here; the message says why and what to do."""


@dataclass(slots=True)
class Row:
    """One line of the live view."""

    name: str
    kind: str
    status: str = "pending"
    budget_s: float | None = None
    started: float | None = None
    elapsed_s: float = 0.0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the window does: run a step script, run checks, or take facts (a hook)."""

    kind: str
    name: str
    ids: tuple[str, ...] = ()
    xdist: bool = False
    hard: bool = False
    script: Path | None = None


def coalesce(actions: list[Action]) -> list[Action]:
    """Adjacent check sessions with no step between them run as one pytest session (one start-up).

    >>> [a.name for a in coalesce([Action("checks", "deploy:after", ("DEP-01",)),
    ...                            Action("checks", "migrate:before", ("MIG-01",))])]
    ['deploy:after+migrate:before']
    """
    out: list[Action] = []
    for action in actions:
        last = out[-1] if out else None
        if (last is not None and action.kind == last.kind == "checks" and not action.hard and not last.hard):
            out[-1] = Action("checks", f"{last.name}+{action.name}", (*last.ids, *action.ids),
                             last.xdist and action.xdist)
        else:
            out.append(action)
    return out


@dataclass
class WindowRunner:
    """Runs stages of the window against the configured target, into one run."""

    settings: Settings
    run: Run
    confirm: bool = False
    console: Console = field(default_factory=Console)
    checks_on: bool = True
    rows: list[Row] = field(default_factory=list)
    tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=6))
    live: Live | None = None
    budgets: dict[str, int] = field(default_factory=dict)
    python: str = field(default_factory=window_python)
    stages: tuple[Stage, ...] = STAGES
    scripts_dir: Path = SCRIPTS
    pytest_server: PytestServer | None = None
    warm_server: PytestServer | None = None
    """A server started before the window's own imports and claim (``python -m gate.window``): the first
    session does not wait for a whole warm-up; taken by ``run_window`` when it serves this window's env."""
    shared_pg: Shared | None = None

    def __post_init__(self) -> None:
        self.budgets = budgets_from(self.settings.runbook)
        note = missing_runbook(self.settings.runbook)
        if note:
            self.console.print(f"[yellow]{escape(note)}[/]")
        if not Path(self.python).exists():
            self.python = sys.executable

    # journal ---------------------------------------------------------------------------------
    def completed_steps(self) -> dict[str, StepRow]:
        """Steps whose last journal entry ended with exit code 0."""
        return {s["name"]: s for s in self.run.steps() if s.get("exit_code") == 0}

    def _refresh_summary(self, results: list[CheckResult] | None = None) -> Summary:
        if self.settings.database_url is not None:
            from gate.db.point_of_no_return import record_if_passed

            record_if_passed(self.settings.dsn(), self.run.dir)
        extra: Summary = {"destructive_started": self.run.destructive_started(), "first_destructive_step": "migrate",
                 "settings_warnings": env_file_warnings()}
        summary, _ = write_summary(self.run, results or [], self.settings.target, self.settings.release_tag, extra)
        return summary

    # live view -------------------------------------------------------------------------------
    def _window_left(self) -> str:
        if self.settings.window_open:
            return "window open (rehearsal)"
        tz = ZoneInfo(self.settings.window_tz)
        now = (self.settings.window_now or datetime.now(tz)).astimezone(tz)
        hh, mm = (int(x) for x in self.settings.window_end.split(":"))
        end = now.replace(hour=hh, minute=mm, second=0, microsecond=0)
        if end < now:
            end += timedelta(days=1)
        left = end - now
        return f"window closes {end:%H:%M} {self.settings.window_tz}: {int(left.total_seconds() // 60)} min left"

    def render(self) -> Group:
        """The live view: every stage/step, its status, elapsed versus budget, and the output tail."""
        table = Table(title=f"migration window — run {self.run.run_id} — {self._window_left()}", expand=False)
        for col in ("step", "kind", "status", "elapsed / budget", "detail"):
            table.add_column(col, overflow="fold", max_width=70 if col == "detail" else None)
        styles = {"running": "bold cyan", "passed": "green", "done": "green", "failed": "bold red",
                  "skipped": "yellow", "refused": "bold red", "over budget": "bold yellow"}
        for row in self.rows:
            elapsed = row.elapsed_s + (time.monotonic() - row.started if row.status == "running" and row.started
                                       else 0)
            budget = f" / {row.budget_s:.0f}s" if row.budget_s else ""
            over = row.budget_s and elapsed > row.budget_s
            table.add_row(row.name, row.kind, Text(row.status, style=styles.get(row.status, "")),
                          Text(f"{elapsed:.1f}s{budget}", style="bold yellow" if over else ""), row.detail)
        tail = Text("\n".join(self.tail), style="dim")
        return Group(table, tail)

    def _event(self, row: Row) -> None:
        if self.live is not None:
            self.live.update(self.render())
        elif row.status != "running":
            self.console.print(f"[{row.status:>8}] {row.kind:<6} {row.name:<18} {row.elapsed_s:7.1f}s  {row.detail}",
                               markup=False, highlight=False)
        else:
            self.console.print(f"[ running] {row.kind:<6} {row.name}", markup=False, highlight=False)

    # steps -----------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """The environment of step scripts and check sessions."""
        extra = {"RUN_ID": self.run.run_id, "GATE_PYTHON": self.python,
                 "CONFIRM": "yes" if (self.confirm or self.settings.confirm) else "",
                 "MIGRATE_LOCK_TIMEOUT": self.settings.migrate_lock_timeout,
                 "MIGRATE_STATEMENT_TIMEOUT": self.settings.migrate_statement_timeout,
                 "IMPORT_READS_COPY": "yes" if self.settings.import_reads_copy else "",
                 "MIGRATE_ONE_BY_ONE": "yes" if self.settings.migrate_one_by_one else "",
                 "IMPORT_ARGS": self.settings.import_args,
                 "FLUSH_DRY_RUN_ARGS": self.settings.flush_dry_run_args, "FLUSH_ARGS": self.settings.flush_args,
                 "BASE_URL": self.settings.base_url, "API_PREFIX": self.settings.api_prefix,
                 "GATE_WINDOW_STEPS": ",".join(n for s in self.stages for n in (*s.pre_steps, s.name) if s.script)}
        for key in ("maintenance_on_cmd", "maintenance_off_cmd", "deploy_cmd", "app_stop_cmd", "app_start_cmd"):
            value = getattr(self.settings, key)
            if value:
                extra[key.upper()] = value
        return target_env(self.settings, self.run.dir, extra)

    def run_step(self, name: str, script: Path, refresh: bool = True) -> int:
        """Run one step script; journal it; return its exit code. ``refresh``: rebuild ``summary.json`` after it
        (not while a check session writes it: the caller does once the session ended)."""
        budget = self.budgets.get(name)
        row = Row(name, "step", "running", budget, time.monotonic())
        self.rows.append(row)
        record = StepRecord(name, budget_s=budget)
        self.run.record_step(record)
        self._event(row)
        log_dir = self.run.dir / "steps"
        log_dir.mkdir(exist_ok=True)
        tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        t0 = time.monotonic()
        from gate.redact import redact
        from gate.settings import known_secrets

        secrets = known_secrets()
        with (log_dir / f"{name}.log").open("w") as log:
            proc = subprocess.Popen(["bash", str(script)], cwd=REPO, env=self.env(), stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, bufsize=1)
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = redact(raw, known=secrets)  # a step's own error output may quote a DSN
                log.write(line)
                tail.append(line.rstrip("\n"))
                self.tail.append(f"{name}: {line.rstrip()}"[:160])
                if self.live is not None:
                    self.live.update(self.render())
            code = proc.wait()
        duration = round(time.monotonic() - t0, 3)
        over = bool(budget and duration > budget)
        self.run.record_step(StepRecord(
            name, budget_s=budget, duration_s=duration, exit_code=code, started_at=record.started_at,
            finished_at=now_utc().isoformat(), output_tail="\n".join(tail)[-2000:],
        ))
        if over:
            self._journal_note(name, f"over budget: {duration:.0f}s > {budget}s")
        row.elapsed_s, row.started = duration, None
        row.status = "done" if code == 0 else ("refused" if code == 3 else "failed")
        if over and code == 0:
            row.status = "over budget"
        row.detail = (f"exit {code}" + (f": {tail[-1][:100]}" if code and tail else ""))
        self._event(row)
        if refresh:
            self._refresh_summary()
        return code

    def _journal_note(self, name: str, note: str) -> None:
        with (self.run.dir / "journal.jsonl").open("a") as fh:
            fh.write(json.dumps({"name": name, "event": "note", "note": note, "at": now_utc().isoformat()}) + "\n")

    def fail_step(self, name: str, code: int) -> None:
        """Record the failed step as the failure of the claim it did not keep (migrate → MIG-02…)."""
        check_id = STEP_FAILURE_CHECK.get(name)
        if not check_id:
            return
        known = checks.CHECKS[check_id]
        log = self.run.dir / "steps" / f"{name}.log"
        last = ""
        if log.exists():
            lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
            last = lines[-1][:300] if lines else ""
            cause = next((line for line in reversed(lines[:-1]) if ERROR_LINE.search(line)), "")
            last = f"{cause[:200]} / {last}" if cause else last  # "Unknown command: 'x'" before "Type 'help'…"
        message = f"step {name} exited {code}" + (f": {last}" if last else "") + f" (log: steps/{name}.log)"
        self._refresh_summary([CheckResult(check_id, Outcome.FAILED, known.severity, message, 0.0,
                                           known.phase.value)])

    # checks ----------------------------------------------------------------------------------
    def run_checks(self, label: str, ids: tuple[str, ...], xdist: bool = False, after_destructive: bool = False) -> bool:
        """Run the checks ``ids`` as one pytest session into this run; True when none failed.

        ``after_destructive``: decide as after the point of no return even when this run's record
        shows no destructive step (the monitor of a window run elsewhere).
        """
        if not ids:
            return True
        if self.shared_pg is not None and DISPOSABLE_PG_CHECKS & set(ids):
            self.shared_pg.wait()  # started in the background since the window began: its sessions adopt it
        row = Row(label, "checks", "running", None, time.monotonic(), detail=",".join(ids))
        self.rows.append(row)
        self._event(row)
        argv, log = self._session(label, ids, xdist, after_destructive)
        t0, started_at = time.monotonic(), now_utc().isoformat()
        server = self.pytest_server
        if server is not None:
            server.last_prepared = False
        returncode = self._pytest(argv, log)
        prepared = server is not None and server.last_prepared  # forked while the step before it ran
        row.elapsed_s, row.started = round(time.monotonic() - t0, 3), None
        with (log.parent / "sessions.jsonl").open("a") as fh:  # what each check session cost (bench, profiling)
            fh.write(json.dumps({"label": label, "ids": list(ids), "started_at": started_at, "duration_s": row.elapsed_s,
                                 "exit": returncode, "served": server is not None, "prepared": prepared}) + "\n")
        summary = self.run.read_summary()
        rows = {r["id"]: r for r in summary.get("checks", [])}
        failed = [i for i in ids if i in rows and rows[i]["outcome"] == "failed"]
        missing = [i for i in ids if i not in rows]
        skipped = [i for i in ids if i in rows and rows[i]["outcome"] == "skipped"]
        if missing:
            results = [CheckResult(i, Outcome.FAILED, checks.CHECKS[i].severity,
                                   f"did not report (pytest exit {returncode}; log checks/{label}.log)", 0.0,
                                   checks.CHECKS[i].phase.value) for i in missing]
            self._refresh_summary(results)
            failed += missing
        row.status = "failed" if failed else ("skipped" if skipped and len(skipped) == len(ids) else "passed")
        parts = []
        if failed:
            parts.append("failed " + ", ".join(f"{i}: {rows[i].get('message', '')[:80] if i in rows else ''}" for i in failed))
        if skipped:
            parts.append("skipped " + ",".join(skipped))
        row.detail = "; ".join(parts) or f"{len(ids)} passed"
        self._event(row)
        return not failed

    def _session(self, label: str, ids: tuple[str, ...], xdist: bool = False,
                 after_destructive: bool = False) -> tuple[list[str], Path]:
        """The check session's command line (``python -m pytest …``) and its log."""
        argv = [self.python, "-m", "pytest", "-p", "no:cacheprovider", *UNUSED_PLUGINS, *GATE_TEST_DIRS,
                "--check", ",".join(ids), "--run-dir", str(self.run.dir), "-q", "--no-header", "-rN", "--color=no"]
        if self.pytest_server is not None:  # inside run_window, which records the point of no return after each step
            argv.append("--in-window")
        if after_destructive:
            argv.append("--after-destructive")
        # served sessions stay in their warm process: two cold xdist workers cost more than the smoke checks
        if xdist and self.settings.postflight_workers > 1 and len(ids) > 1 and self.pytest_server is None:
            argv += ["-n", str(min(self.settings.postflight_workers, len(ids))), "--dist", "loadgroup"]
        log_dir = self.run.dir / "checks"
        log_dir.mkdir(exist_ok=True)
        return argv, log_dir / f"{label}.log"

    def prepare(self, action: Action) -> None:
        """Fork the check session ``action`` while the step before it runs, up to its first check
        (``PytestServer.prepare``: pytest configured and the checks collected; no fixture, no check,
        nothing of the run read); it runs when the step has ended, or never when the window stops."""
        server = self.pytest_server
        if server is None or action.kind != "checks" or not action.ids:
            return
        env = self.env()
        if not server.serves(env):
            return
        argv, log = self._session(action.name, action.ids, action.xdist)
        try:
            server.prepare(argv[3:], env, REPO, log)
        except ConnectionError:
            self.pytest_server = None

    def _pytest(self, argv: list[str], log: Path) -> int:
        """One check session (``argv`` = python -m pytest …), its output into ``log``; pytest's exit status.

        Inside ``run_window`` the session is a child of the warm server (``gate.steps.pytest_server``);
        alone, or when the server cannot take it, a new interpreter as before.
        """
        env = self.env()
        server = self.pytest_server
        if server is not None and server.serves(env):
            try:
                return server.session(argv[3:], env, REPO, log)
            except ConnectionError:
                self.pytest_server = None
        with log.open("w") as out:
            return subprocess.run(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, check=False).returncode

    @property
    def stop_verdicts(self) -> frozenset[str]:
        """Verdicts that stop the window: with ``GUARD_OVERRIDE`` (a reason, recorded by the guard) a NO-GO
        does not, so a person can force the window past it; a ROLLBACK always does."""
        return frozenset({Verdict.ROLLBACK.value}) if self.settings.guard_override else STOP_VERDICTS

    def verdict(self) -> str:
        """The verdict of the run so far."""
        return str(self.run.read_summary().get("verdict", Verdict.GO.value))

    # hooks -----------------------------------------------------------------------------------
    def hook(self, name: str) -> None:
        """Facts taken right before a step (read-only): protected tables, the 1C package's hashes."""
        if name == "protected_before" and self.settings.database_url is not None:
            from gate.db.snapshot import snapshot_of

            snap = snapshot_of(self.settings.dsn(), self.settings.target, self.settings.protected_tables)
            snap.save(self.run.dir / PROTECTED_BEFORE)
        elif name == "onec_before":
            from gate.onec.package import file_hashes

            hashes = file_hashes(self.settings.onec_data_dir) if self.settings.onec_data_dir.is_dir() else {}
            (self.run.dir / ONEC_BEFORE).write_text(json.dumps(hashes, indent=1))

    # stages ----------------------------------------------------------------------------------
    def actions(self, s: Stage, checks_on: bool | None = None) -> list[Action]:
        """A stage as actions: checks before, sub-steps (+ their checks), hooks, the step, checks after."""
        on = self.checks_on if checks_on is None else checks_on
        out: list[Action] = []
        if on and s.before:
            out.append(Action("checks", f"{s.name}:before", ids=s.before, xdist=s.xdist))
        for sub in s.pre_steps:
            out.append(Action("step", sub, script=self.scripts_dir / f"{sub}.sh"))
            sub_checks = PRE_STEP_CHECKS.get(sub, ())
            if on and sub_checks:
                out.append(Action("checks", f"{sub}:after", ids=sub_checks, hard=True))
        out += [Action("hook", hook) for hook in s.hooks]
        if s.script is not None:
            out.append(Action("step", s.name, script=self.scripts_dir / f"{s.script}.sh"))
        guard_needs = s.name == "backup"  # the flush guard reads this run's BKP-01..04, checks on or off
        if (on or guard_needs) and s.after:
            out.append(Action("checks", f"{s.name}:after", ids=s.after, xdist=s.xdist))
        return out

    def beside(self, actions: list[Action], index: int) -> bool:
        """The check session ``actions[index]`` may run beside the step right after it: a window with checks,
        the step one that only reads the target and writes the run's files (``READS_ONLY``: the backup, the
        flush's dry run, the smoke curls), the session not a hard one. The backup keeps one more rule: inside
        the window's hours (PRE-07's own ``Window``), so an out-of-hours NO-GO still comes before it.

        Nothing changes earlier than in order: a session that says NO-GO stops the window once both ended,
        before the next step; a step that fails fails its claim as before."""
        if not (self.checks_on and index + 1 < len(actions)):
            return False
        session, step = actions[index], actions[index + 1]
        if session.kind != "checks" or session.hard or step.kind != "step" or step.name not in READS_ONLY:
            return False
        if step.name != "backup":
            return True
        from gate.preflight.window_hours import clock, window_of

        return window_of(self.settings).contains(clock(self.settings))

    def _beside(self, actions: list[Action], index: int) -> bool:
        """``actions[index]`` (a check session) and ``actions[index + 1]`` (its step) side by side; False = stop.
        The step's own checks are collected while it still runs; after the backup, BKP-04's restore of it
        begins at once (``restore_ahead``)."""
        import threading

        session, step, script = actions[index], actions[index + 1], actions[index + 1].script
        after = actions[index + 2] if index + 2 < len(actions) else None
        assert script is not None
        codes: list[int] = []

        def run_the_step() -> None:
            codes.append(self.run_step(step.name, script, refresh=False))
            if codes[0] == 0 and step.name == "backup" and after is not None and "BKP-04" in after.ids:
                self.restore_ahead()

        thread = threading.Thread(target=run_the_step, name=f"{step.name}-step")
        thread.start()
        try:
            passed = self.run_checks(session.name, session.ids, session.xdist)
            if after is not None and thread.is_alive():
                self.prepare(after)
        finally:
            thread.join()
            self._refresh_summary()
        code = codes[0] if codes else 1
        if code != 0:
            self.fail_step(step.name, code)
            return False
        return not self._stops(session, passed)

    def restore_ahead(self) -> None:
        """BKP-04's restore of the backup just taken, into the window's shared disposable server, begun here while
        the preflight session runs (``restore_for_bkp04``: kept only when it passed, then BKP-04 takes it). Any
        trouble leaves nothing kept: BKP-04 restores and decides itself, as without this."""
        if self.shared_pg is None:
            return
        try:
            from gate.backup import Backup
            from gate.migrations.trial import restore_for_bkp04

            pg = self.shared_pg.wait()
            found = Backup.of_run(self.run, self.settings.tool("pg_restore"), self.settings.backup_jobs)
            if pg is not None and found is not None:
                restore_for_bkp04(found, pg, self.run.dir, keep=True)
        except Exception:  # noqa: BLE001 - an optimisation: BKP-04 does the whole restore itself then
            return

    def execute(self, actions: list[Action]) -> bool:
        """Run actions in order; False = stop the window (a failed step, a hard check, a NO-GO/ROLLBACK).

        The check session right after a step is prepared while the step runs (``prepare``); a session
        runs beside a step that only reads the target (``beside``)."""
        index = 0
        while index < len(actions):
            action = actions[index]
            if self.beside(actions, index):
                if not self._beside(actions, index):
                    return False
                index += 2
                continue
            if action.kind == "hook":
                self.hook(action.name)
            elif action.kind == "step":
                assert action.script is not None
                if index + 1 < len(actions):
                    self.prepare(actions[index + 1])
                code = self.run_step(action.name, action.script)
                if code != 0:  # a refusal (exit 3) ran nothing: it fails the step's claim, not the point of no return
                    self.fail_step(action.name, code)
                    return False
            elif self._stops(action, self.run_checks(action.name, action.ids, action.xdist)):
                return False
            index += 1
        return True

    def _stops(self, checks: Action, passed: bool) -> bool:
        """A check session that did not pass stops the window when it is hard or the verdict says stop."""
        return not passed and (checks.hard or self.verdict() in self.stop_verdicts)

    def run_stage(self, s: Stage, checks_on: bool | None = None) -> bool:
        """One stage of the window; False = stop the window."""
        return self.execute(self.actions(s, checks_on))

    def preconditions(self, start: str, repeat: bool) -> None:
        """Resume checks: every earlier step completed, the start step not already done (unless repeat)."""
        done = self.completed_steps()
        names = [x.name for x in self.stages]
        index = names.index(start)
        for s in self.stages[:index]:
            if s.script and s.name not in done:
                raise ResumeRefused(
                    f"cannot resume at {start}: step {s.name} has not completed in run {self.run.run_id} "
                    f"(resume at FROM={s.name})")
        for s in self.stages[index:]:
            if s.script and s.name in done and not repeat:
                raise ResumeRefused(
                    f"step {s.name} already completed in run {self.run.run_id} at {done[s.name].get('finished_at')}; "
                    f"a completed step is never repeated silently: resume after it, or pass REPEAT=yes")

    def run_window(self, start: str | None = None, only: str | None = None, repeat: bool = False,
                   stop_after: str | None = None) -> str:
        """Run the window (from ``start``, or one stage ``only``); returns the verdict."""
        all_names = [x.name for x in self.stages]
        names = [only] if only else (all_names[all_names.index(start):] if start else all_names)
        if start:
            self.preconditions(start, repeat)
        self.rows = []
        live = self.console.is_terminal and self.settings.gate_live

        def body() -> None:
            if start and self.checks_on:
                previous = self.stages[all_names.index(start) - 1] if all_names.index(start) else None
                if previous is not None and previous.after and not self.run_checks(
                        f"resume:{previous.name}", previous.after, previous.xdist) and self.verdict() in self.stop_verdicts:
                    return
            self.execute(coalesce(plan))

        def served() -> None:  # the window's check sessions fork from one warm pytest process
            early, self.warm_server = self.warm_server, None
            if early is not None and not early.serves(self.env()):
                early.discard()
                early = None
            self.pytest_server = early or PytestServer.start(self.python, self.env(), REPO)
            try:
                body()
            finally:
                server, self.pytest_server = self.pytest_server, None
                if server is not None:
                    server.close()

        by_name = {x.name: x for x in self.stages}
        if stop_after in names:
            names[:] = names[:names.index(stop_after) + 1]
        plan = [a for name in names for a in self.actions(by_name[name] if name in by_name else stage(name))]
        resumed = self.stages[all_names.index(start) - 1].after if start and all_names.index(start) else ()
        restores = any(DISPOSABLE_PG_CHECKS & set(ids) for ids in (resumed, *(a.ids for a in plan)))
        inner = served if self.checks_on else body

        def runner() -> None:  # one disposable server for the window's restores, stopped also on Ctrl-C/SIGTERM
            if not restores or self.settings.disposable_pg == "existing":
                inner()
                return
            from disposable_pg.handover import FILE_NAME, Shared
            from disposable_pg.interrupt import sigterm_as_interrupt
            from gate.db.readonly import server_major

            previous = signal.getsignal(signal.SIGTERM)
            installed = previous is signal.SIG_DFL and sigterm_as_interrupt()
            dsn = self.settings.dsn() if self.settings.database_url is not None else None
            self.shared_pg = Shared(self.run.dir / FILE_NAME, self.settings.disposable_pg,
                                    lambda: server_major(dsn)).start_in_background()
            try:
                inner()
            finally:
                shared, self.shared_pg = self.shared_pg, None
                shared.stop()
                if installed:
                    signal.signal(signal.SIGTERM, previous)

        if live:
            with Live(self.render(), console=self.console, refresh_per_second=2, transient=False) as lv:
                self.live = lv
                try:
                    runner()
                finally:
                    lv.update(self.render())
                    self.live = None
        else:
            runner()
        return self.verdict()
