"""A window claims its target before it touches it, and gives it back when it ends.

``make migrate`` and every ``make <phase>`` first take the target's window lock and read its
open-window record (``gate.db.window_lock``): another window running, or one that opened the
target and never ended, refuses this one with exit 3, naming that run, since when, and the
commands that resolve it. ``make window-close`` closes an interrupted window on purpose and
records who closed it and why. After a NO-GO with the site in maintenance the window turns
maintenance off again when the previous release still serves, or says loudly that it does not.
"""

from __future__ import annotations

import contextlib
import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from rich.console import Console

from gate.db.window_lock import WindowBusy, WindowLock, WindowRecord, _user
from gate.run import JOURNAL, RUN_INFO, Closed, Run, _atomic_write, now_utc
from gate.settings import Settings
from gate.window.interrupted import (
    INTERRUPTED,
    WINDOW_PROCESS,
    WindowProcess,
    effective_summary,
    interruption,
)

if TYPE_CHECKING:
    from gate.window.runner import WindowRunner

ROLLBACK = "ROLLBACK"
NO_GO = "NO-GO"


@dataclass
class WindowClaim:
    """This window's hold on the target (``lock`` None: the target could not be reached to lock it)."""

    lock: WindowLock | None
    run: Run
    console: Console

    def end(self, verdict: str, window_complete: bool) -> None:
        """Leave the record as the target's truth: cleared when the window ended, kept when it must be resolved."""
        if self.lock is None:
            return
        try:
            if verdict == ROLLBACK:
                self.lock.write_record(WindowRecord.now(self.run.run_id, str(self.run.dir), "rollback-pending"))
            elif verdict != INTERRUPTED and (window_complete or (verdict == NO_GO
                                                                 and not self.run.destructive_started())):
                self.lock.clear_record()
        except psycopg.Error as exc:
            self.console.print(f"WARNING the target's window record was not updated: {exc}", markup=False)
        finally:
            self.lock.release()


def _unfinished(record: WindowRecord) -> str:
    text = (f"window run {record.run_id} ({record.user}@{record.host}, pid {record.pid}) opened this target at "
            f"{record.started_at} and did not end (state: {record.state}).")
    run_dir = Path(record.run_dir)
    if record.host == socket.gethostname() and (run_dir / RUN_INFO).exists():
        found = interruption(Run.open(run_dir))
        if found is not None:
            return f"{text} {found.describe(run_dir)}"
    if record.state == "rollback-pending":
        return (f"{text} Its verdict was ROLLBACK: run scripts/deploy/rollback_production.sh with that run's backup "
                f"(RUN_DIR={record.run_dir}), or close it: make window-close RUN_ID={record.run_id} REASON='...'")
    return (f"{text} Resume it from its run directory ({record.run_dir} on {record.host}): "
            f"make window-status RUN_DIR={record.run_dir} prints the command; or roll it back; "
            f"or close it on purpose: make window-close RUN_ID={record.run_id} REASON='...'")


def claim_target(settings: Settings, run: Run, console: Console) -> WindowClaim | int:
    """Take the target for this window; an exit status (3) when another window holds or left it."""
    if settings.database_url is None:
        return WindowClaim(None, run, console)
    try:
        lock = WindowLock.acquire(settings.dsn(), run.run_id)
    except WindowBusy as exc:
        console.print(f"refused: {exc}", markup=False, highlight=False, style="bold red")
        return 3
    except psycopg.Error as exc:
        console.print(f"WARNING the window lock was not taken (target unreachable: {exc}); "
                      "the preflight checks decide", markup=False, highlight=False)
        return WindowClaim(None, run, console)
    try:
        record = lock.record()
        if record is not None and record.run_id != run.run_id:
            lock.release()
            console.print(f"refused: {_unfinished(record)}", markup=False, highlight=False, style="bold red")
            return 3
        if record is None or record.state != "open":
            lock.write_record(WindowRecord.now(run.run_id, str(run.dir)))
    except psycopg.errors.InsufficientPrivilege:
        console.print("WARNING the open-window record was not written (the role does not own the database): "
                      "the lock still keeps a second window out, but a window that dies is only seen from this "
                      "host's runs", markup=False)
    except psycopg.Error:
        lock.release()
        raise
    return WindowClaim(lock, run, console)


def unfinished_local_run(settings: Settings) -> str | None:
    """A refusal when this host's latest run on the same target is INTERRUPTED and not closed (None: go)."""
    latest = settings.runs_root / "latest"
    if not (latest / RUN_INFO).exists():
        return None
    run = Run.open(latest.resolve())
    summary = effective_summary(run)
    if summary.get("verdict") != INTERRUPTED or summary.get("closed") or summary.get("target") != settings.target:
        return None
    return (f"refused: the latest window on this target, run {run.run_id}, is INTERRUPTED. "
            f"{summary['decision']['matrix_row']}")


def close_window(settings: Settings, run: Run, reason: str, console: Console) -> int:
    """``make window-close``: record who closed the window and why, and free the target for a new one."""
    if not reason.strip():
        console.print("refused: REASON=... is required (it is recorded with who closed the window)", markup=False)
        return 2
    lock: WindowLock | None = None
    if settings.database_url is not None:
        try:
            lock = WindowLock.acquire(settings.dsn(), run.run_id)
        except WindowBusy as exc:
            console.print(f"refused: the window is running, not interrupted: {exc}", markup=False)
            return 3
        except psycopg.Error as exc:
            console.print(f"WARNING target unreachable, its window record is left as it is: {exc}", markup=False)
    try:
        record = lock.record() if lock else None
        if record is not None and record.run_id != run.run_id:
            console.print(f"refused: the target's open window is run {record.run_id}, not {run.run_id}: "
                          f"make window-close RUN_ID={record.run_id} REASON='...'", markup=False)
            return 3
        closed: Closed = {"by": f"{_user()}@{socket.gethostname()}", "at": now_utc().isoformat(), "reason": reason}
        summary = effective_summary(run, persist=True)
        if summary:
            summary["closed"] = closed
            _atomic_write(run.summary_path, json.dumps(summary, indent=2, ensure_ascii=False))
        info: WindowProcess = {}
        with contextlib.suppress(OSError, ValueError):
            info = json.loads((run.dir / WINDOW_PROCESS).read_text())
        info.update({"ended_at": info.get("ended_at") or closed["at"], "closed": closed})
        _atomic_write(run.dir / WINDOW_PROCESS, json.dumps(info, indent=1))
        with (run.dir / JOURNAL).open("a") as fh:
            fh.write(json.dumps({"name": "window", "event": "note", "at": closed["at"],
                                 "note": f"closed by {closed['by']}: {reason}"}) + "\n")
        if lock is not None and record is not None:
            lock.clear_record()
        console.print(f"window {run.run_id} closed by {closed['by']}: {reason}", markup=False, highlight=False)
        return 0
    finally:
        if lock is not None:
            lock.release()


def no_site_left_down(runner: WindowRunner, run: Run, settings: Settings) -> str | None:
    """After a NO-GO with maintenance on: turn it off when the previous release still serves, else say so.

    The previous release still serves when the release was not deployed (no ``DEPLOY_CMD`` ran);
    then ``maintenance_off`` runs as a step of this run. Otherwise (or when it fails) the summary
    gets ``site_in_maintenance``: what state the site is in and what to run; the verdict prints it in red.
    Returns that message (None: the site is not left in maintenance).
    """
    steps = {s["name"]: s for s in run.steps()}
    if "maintenance_on" not in steps or ("maintenance_off" in steps and steps["maintenance_off"].get("exit_code") == 0):
        return None
    deployed = "deploy" in steps and bool(settings.deploy_cmd)
    if not deployed:
        code = runner.run_step("maintenance_off", runner.scripts_dir / "maintenance_off.sh")
        if code == 0:
            runner._journal_note("maintenance_off", "NO-GO after maintenance went on: maintenance turned off "
                                 "again (the release was not deployed, the previous release still serves)")
            return None
        why = f"turning it off again failed (maintenance_off exited {code}, log steps/maintenance_off.log)"
    else:
        release = settings.release_commit or settings.release_tag
        why = f"release {release} was deployed (DEPLOY_CMD ran), so the previous release does not serve"
    previous = settings.previous_release_commit or settings.previous_release_tag  # releases named by commit, or tags
    message = (f"the window stopped NO-GO after maintenance went on and {why}: the site answers 503. Run: "
               + ("" if not deployed else f"redeploy {previous} (CHECKOUT/DEPLOY), then ")
               + f"make maintenance-off RUN_DIR={run.dir} (or MAINTENANCE_OFF_CMD by hand)")
    summary = run.read_summary()
    summary["site_in_maintenance"] = message
    _atomic_write(run.summary_path, json.dumps(summary, indent=2, ensure_ascii=False))
    return message
