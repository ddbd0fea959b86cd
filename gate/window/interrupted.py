"""INTERRUPTED is a state: a window whose process died is never read as GO.

The window's process writes ``RUN_DIR/window.json`` (pid, host, start) when it starts and
``ended_at`` when it ends normally. A run is **interrupted** when its window process is gone
without ending (``kill -9``, a crash, a lost host) or when its journal holds a step that started
and never ended. Then ``summary.json`` (which still carries the verdict of the checks that ran)
is overlaid with ``verdict: INTERRUPTED`` and the exact command that resumes the window (or the
rollback to run once a destructive step began). ``gate.console``, ``make window-status``, the
sign-off page and the next ``make migrate`` read it through :func:`effective_summary`.

>>> Interruption("import", "import", "2026-12-04T02:31:00+00:00", 4242, "db1", True).resume_command("/r")
'CONFIRM=yes make migrate FROM=import RUN_DIR=/r'
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final, TypedDict, cast

from gate.run import Closed, Run, StepRow, Summary, _atomic_write, now_utc
from gate.window.stages import STAGES

WINDOW_PROCESS: Final = "window.json"
INTERRUPTED: Final = "INTERRUPTED"
INTERRUPTED_EXIT: Final = 50
ROLLBACK_SCRIPT: Final = "scripts/deploy/rollback_production.sh"
_PARENT = {sub: s.name for s in STAGES for sub in s.pre_steps}
_DESTRUCTIVE = {s.name for s in STAGES if s.destructive}


@dataclass(frozen=True, slots=True)
class Interruption:
    """Where a window stopped without ending, and what brings it back."""

    resume_step: str
    open_step: str | None
    since: str
    pid: int | None
    host: str | None
    destructive_started: bool

    def resume_command(self, run_dir: Path | str) -> str:
        """The exact command that resumes this window."""
        return f"CONFIRM=yes make migrate FROM={self.resume_step} RUN_DIR={run_dir}"

    def describe(self, run_dir: Path | str) -> str:
        """One paragraph: what was interrupted, and the commands that resolve it."""
        what = (f"step {self.open_step} started at {self.since} and never ended" if self.open_step
                else f"the window process stopped before step {self.resume_step}")
        who = f" (window process {self.pid} on {self.host} is gone)" if self.pid else ""
        out = f"INTERRUPTED: {what}{who}. Resume: {self.resume_command(run_dir)}"
        if self.destructive_started:
            out += f"; or roll back: CONFIRM=yes RUN_DIR={run_dir} {ROLLBACK_SCRIPT} --confirm {_backup_of(run_dir)}"
        return out + f"; or close it on purpose: make window-close RUN_DIR={run_dir} REASON='...'"


def _backup_of(run_dir: Path | str) -> str:
    """The dump this run's backup step made (its manifest), for the rollback command."""
    with contextlib.suppress(OSError, ValueError, KeyError):
        return str(json.loads((Path(run_dir) / "backup.json").read_text())["path"])
    return "<this run's backup (backup.json)>"


def mark_started(run: Run, command: str) -> None:
    """This process is the window of ``run`` (``window.json``); a resumed run's INTERRUPTED mark goes to the journal."""
    summary = run.read_summary()
    if summary.get("interrupted"):
        was = summary.pop("interrupted")
        with (run.dir / "journal.jsonl").open("a") as fh:
            fh.write(json.dumps({"name": "window", "event": "note", "at": now_utc().isoformat(),
                                 "note": f"resumed ({command}) after an interruption: {was}"}) + "\n")
        _atomic_write(run.summary_path, json.dumps(summary, indent=2, ensure_ascii=False))
    info: WindowProcess = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
            "started_at": now_utc().isoformat(), "ended_at": None}
    _atomic_write(run.dir / WINDOW_PROCESS, json.dumps(info, indent=1))


class WindowProcess(TypedDict, total=False):
    """``window.json``: the process that runs the window of a run, and how it ended."""

    pid: int
    host: str
    command: str
    started_at: str
    ended_at: str | None
    verdict: str
    closed: Closed


def mark_ended(run: Run, verdict: str) -> None:
    """The window process of ``run`` ended normally, with ``verdict``."""
    info = _window_info(run)
    if info.get("pid") == os.getpid() or not info:
        info.update({"ended_at": now_utc().isoformat(), "verdict": verdict})
        _atomic_write(run.dir / WINDOW_PROCESS, json.dumps(info, indent=1))


def _window_info(run: Run) -> WindowProcess:
    with contextlib.suppress(OSError, ValueError):
        return cast(WindowProcess, json.loads((run.dir / WINDOW_PROCESS).read_text()))
    return {}


def process_alive(pid: int | None, host: str | None) -> bool:
    """The window process still runs (a process on another host is assumed alive: it cannot be asked)."""
    if not pid:
        return False
    if host and host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return True


def open_steps(run: Run) -> list[StepRow]:
    """Journal steps whose last entry is a start (started, never ended)."""
    last: dict[str, StepRow] = {}
    for entry in run.journal():
        if entry.get("event") in ("start", "end"):
            last[entry["name"]] = entry
    return [e for e in last.values() if e.get("event") == "start"]


def interruption(run: Run) -> Interruption | None:
    """The run's interruption, or None (finished, or its window process still runs)."""
    info = _window_info(run)
    pid, host = info.get("pid"), info.get("host")
    if info and not info.get("ended_at") and process_alive(pid, host):
        return None
    opened = open_steps(run)
    done = {s["name"] for s in run.steps() if s.get("exit_code") == 0}
    destructive = bool(done & _DESTRUCTIVE) or any(_PARENT.get(e["name"], e["name"]) in _DESTRUCTIVE
                                                    for e in opened)
    if opened:
        step = opened[-1]
        name = _PARENT.get(step["name"], step["name"])
        return Interruption(name, step["name"], step.get("started_at", "?"), pid, host, destructive)
    if info and not info.get("ended_at"):
        scripted = [s.name for s in STAGES if s.script]
        if set(scripted) <= done:
            return None
        resume = next(s.name for s in STAGES if s.script and s.name not in done)
        return Interruption(resume, None, info.get("started_at", "?"), pid, host, destructive)
    return None


def effective_summary(run: Run, persist: bool = True) -> Summary:
    """``summary.json`` as it must be read: its verdict replaced by INTERRUPTED when the window died.

    ``persist``: write the overlay back, so the record on disk tells the truth too.
    """
    summary = run.read_summary()
    found = interruption(run)
    if found is None:
        return summary
    message = found.describe(run.dir)
    closed = summary.get("closed") or _window_info(run).get("closed")
    if closed:
        message = f"INTERRUPTED, closed by {closed['by']} at {closed['at']}: {closed['reason']}"
    previous = summary.get("decision")
    summary.update({
        "verdict": INTERRUPTED,
        "interrupted": {**asdict(found), "resume_command": found.resume_command(run.dir),
                        "verdict_of_checks_so_far": previous["verdict"] if previous else summary.get("verdict")},
        "decision": {"verdict": INTERRUPTED, "deciding_check": None, "matrix_row": message,
                     "exit_code": INTERRUPTED_EXIT},
    })
    summary.setdefault("run_id", run.run_id)
    if persist:
        _atomic_write(run.summary_path, json.dumps(summary, indent=2, ensure_ascii=False))
    return summary
