"""``python -m rehearse``: the nightly rehearsal, its fault matrix and the rollback rehearsal.

    python -m rehearse [--fault NAME]          # make rehearsal [FAULT=NAME]
    python -m rehearse matrix [--only A,B] [--jobs N]   # make fault-matrix (N faults at once)
    python -m rehearse --fault NAME --no-png --no-reverse-trial   # one fault as the matrix runs it
    python -m rehearse rollback                # make rollback-rehearsal
    python -m rehearse faults                  # the faults and their verdicts

Exit status: a rehearsal exits with its verdict's code (GO 0, NO-GO 10, ROLLBACK 20, MONITOR 30,
HOTFIX 40; 1 when it could not run); with ``--fault`` and for ``matrix``, 0 when every fault gave
the verdict the Rollback Decision Matrix demands (and was caught where it must be), else 1.
``matrix`` gives each fault its own disposable PostgreSQL server; ``MATRIX_SHARED_SERVER=on`` starts one
for all its faults instead, each fault's rehearsal working in its own databases on it (``DISPOSABLE_PG=existing``),
except a fault that breaks the tools the server is reached with (``Fault.own_server``: ``corrupt-backup``),
which keeps its own. Ctrl-C or SIGTERM: the rehearsal unwinds through its clean-up (app, disposable server and children
stopped; ``matrix`` passes the signal on to its running rehearsals and waits for them), prints an
``interrupted`` line and exits 128 + the signal's number (130, 143).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO, TypedDict

from rich.console import Console
from rich.table import Table

from disposable_pg.interrupt import interrupting_signal, sigterm_as_interrupt
from gate.run import new_run_id
from gate.settings import REPO
from rehearse import faults
from rehearse.child import signals_held, stop_group


class MatrixRow(TypedDict):
    """One line of the fault matrix (also the JSON ``--result`` writes)."""

    fault: str
    expected: str
    verdict: str
    seconds: float
    ok: bool
    problems: list[str]
    run_dir: str
    cpu_s: float | None
    """User + system CPU of the fault's rehearsal and the children it waited for (``matrix`` fills it in)."""
    report: list[str]
    """The report's lines for a person who investigates the fault: Allure report, sign-off page (HTML, Markdown)."""


def _row(rehearsal: object, name: str, code: int) -> MatrixRow:
    """One line of the matrix: fault, expected, verdict, seconds, ok, problems, run directory."""
    record = getattr(rehearsal, "record", {})
    matrix = record.get("matrix", {})
    run = getattr(rehearsal, "run", None)
    return {"fault": name, "expected": faults.get(name).expected.value, "verdict": record.get("verdict", "?"),
            "seconds": round(sum(p.duration_s for p in getattr(rehearsal, "phases", [])), 1), "ok": code == 0,
            "problems": matrix.get("problems", []), "run_dir": str(run.dir) if run is not None else "",
            "cpu_s": None, "report": list(getattr(rehearsal, "report_lines", []))}


Running = dict[str, tuple[subprocess.Popen[bytes], TextIO, float]]


def shares_the_server(names: list[str], environ: dict[str, str]) -> bool:
    """Whether the matrix starts one server for ``names``: two or more faults may share it, and nothing says no.

    >>> shares_the_server(["migration-fails", "slow-api"], {})
    False
    >>> shares_the_server(["migration-fails", "slow-api"], {"MATRIX_SHARED_SERVER": "on"})
    True
    >>> shares_the_server(["migration-fails", "corrupt-backup"], {"MATRIX_SHARED_SERVER": "on"})
    False
    >>> shares_the_server(["migration-fails", "slow-api"], {"MATRIX_SHARED_SERVER": "on", "DISPOSABLE_PG": "existing"})
    False
    """
    setting = environ.get("MATRIX_SHARED_SERVER", "off").strip().lower()
    if setting not in ("on", "off"):
        raise ValueError(f"MATRIX_SHARED_SERVER={setting!r}: expected on or off")
    sharing = [n for n in names if not faults.get(n).own_server]
    return setting == "on" and environ.get("DISPOSABLE_PG", "auto") != "existing" and len(sharing) > 1


@contextlib.contextmanager
def shared_server(names: list[str], console: Console) -> Iterator[dict[str, str]]:
    """One disposable server for the faults of ``names`` that may share it: the variables that hand it to them.

    Each fault's rehearsal creates its own databases on it (random names: ``freesport_<hex>``, its
    backup's ``restore_<hex>``, MIG-05's ``mig05_trial_<hex>``, the rollback's ``<db>_rollback_<stamp>``),
    so no fault sees another's data; the server stops after the last of them.
    """
    if not shares_the_server(names, dict(os.environ)):
        yield {}
        return
    from disposable_pg import disposable_postgres

    server = disposable_postgres(os.environ.get("DISPOSABLE_PG") or "auto")
    t0 = time.monotonic()
    server.start()
    try:
        console.print(f"  one disposable server ({getattr(server, 'backend', '?')}, {time.monotonic() - t0:.1f} s) "
                      "for every fault but those that need their own", highlight=False, markup=False)
        yield {"DISPOSABLE_PG": "existing", "DISPOSABLE_PG_URL": server.get_connection_url()}
    finally:
        server.stop()


def _rehearse_in_children(names: list[str], jobs: int, console: Console) -> list[MatrixRow]:
    """Each fault in its own ``python -m rehearse --fault`` (own session), ``jobs`` at a time; an interrupt passed on."""
    running: Running = {}
    with shared_server(names, console) as shared:  # stopped after the rehearsals, an interrupted one's too
        try:
            return _each_in_a_child(names, jobs, console, running, shared)
        except KeyboardInterrupt as exc:
            _pass_on(interrupting_signal(exc), running, console)
            raise


def _each_in_a_child(names: list[str], jobs: int, console: Console, running: Running,
                     shared: dict[str, str]) -> list[MatrixRow]:
    """Each fault in its own ``python -m rehearse --fault`` (its databases on ``shared``'s server, if any), ``jobs`` at a time."""
    logs = Path(os.environ.get("REHEARSAL_WORK_DIR") or REPO / "var" / "rehearsal") / f"matrix-{new_run_id()}"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GATE_LIVE": "0"}
    pending = list(names)
    rows: dict[str, MatrixRow] = {}
    while pending or running:
        while pending and len(running) < jobs:
            name = pending.pop(0)
            log = (logs / f"{name}.log").open("w")
            own = faults.get(name).own_server
            proc = subprocess.Popen([sys.executable, "-m", "rehearse", "--fault", name, "--no-png", "--no-reverse-trial",
                                     "--result", str(logs / f"{name}.json")],
                                    cwd=REPO, env=env if own else {**env, **shared}, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)  # an interrupt reaches it once, from here
            running[name] = (proc, log, time.monotonic())
            console.print(f"  started {name} (log {logs / (name + '.log')})", highlight=False, markup=False)
        for name, (proc, handle, started) in list(running.items()):
            cpu = _reaped_cpu(proc)
            if cpu is None:
                continue
            handle.close()
            del running[name]
            try:
                rows[name] = json.loads((logs / f"{name}.json").read_text())
            except (OSError, ValueError):
                rows[name] = {"fault": name, "expected": faults.get(name).expected.value, "verdict": "?",
                              "seconds": round(time.monotonic() - started, 1), "ok": False,
                              "problems": [f"the rehearsal exited {proc.returncode} without a result; "
                                           f"see {logs / (name + '.log')}"], "run_dir": "", "cpu_s": None,
                              "report": []}
            rows[name]["cpu_s"] = cpu
            (logs / f"{name}.json").write_text(json.dumps(rows[name], ensure_ascii=False))
            console.print(f"  {name}: {rows[name]['verdict']} in {rows[name]['seconds']} s "
                          f"({'as the matrix demands' if rows[name]['ok'] else 'NOT as the matrix demands'})",
                          highlight=False, markup=False)
        time.sleep(0.5)
    return [rows[name] for name in names]


def _reaped_cpu(proc: subprocess.Popen[bytes]) -> float | None:
    """``proc``'s CPU seconds (its own and its waited-for children's) once it has exited; None while it runs."""
    pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
    if pid == 0:
        return None
    proc.returncode = os.waitstatus_to_exitcode(status)
    return round(usage.ru_utime + usage.ru_stime, 1)


def _pass_on(sig: signal.Signals, running: Running, console: Console, grace: float = 300.0) -> None:
    """Hand ``sig`` to each running rehearsal and wait while they clean up (then kill what is left)."""
    with signals_held():
        for name, (proc, _, _) in running.items():
            console.print(f"  {name}: passing {sig.name} on (pid {proc.pid}) …", highlight=False, markup=False)
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
        deadline = time.monotonic() + grace
        for name, (proc, handle, _) in running.items():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            stop_group(proc, timeout=5)
            handle.close()
            console.print(f"  {name}: stopped (exit {proc.returncode})", highlight=False, markup=False)


def run_matrix(names: list[str], console: Console, jobs: int = 1) -> int:
    """Every fault of ``names`` (``jobs`` at a time, each on its own server); a table of fault → expected → got."""
    started = time.monotonic()
    rows: list[MatrixRow]
    if jobs > 1 and len(names) > 1:
        rows = _rehearse_in_children(names, jobs, console)
    else:
        from rehearse.orchestrator import Rehearsal

        rows = []
        with shared_server(names, console) as shared:
            for name in names:
                fault = faults.get(name)
                environ = {**os.environ, **({} if fault.own_server else shared)}
                rehearsal = Rehearsal(fault, console=console, environ=environ, report_png=False, try_reverse=False)
                rows.append(_row(rehearsal, name, rehearsal.execute()))
    table = Table(title=f"fault matrix ({len(names)} faults, {jobs} at a time, {time.monotonic() - started:.0f} s)")
    for column in ("fault", "expected", "verdict", "s", "CPU s", "ok", "problems"):
        table.add_column(column, overflow="fold")
    for row in rows:
        cpu = row.get("cpu_s")
        table.add_row(str(row["fault"]), str(row["expected"]), str(row["verdict"]), f"{row['seconds']:.0f}",
                      "—" if cpu is None else f"{cpu:.0f}",
                      "[green]yes[/]" if row["ok"] else "[bold red]NO[/]", "; ".join(map(str, row["problems"])))
    console.print(table)
    for row in rows:
        if not row["ok"]:  # where a person investigating it starts: the fault's sign-off page and Allure report
            for line in row.get("report") or [f"run: {row['run_dir'] or '(none)'}"]:
                console.print(f"  {row['fault']}: {line}", highlight=False, markup=False, soft_wrap=True)
    return 0 if all(r["ok"] for r in rows) else 1


def main(argv: list[str] | None = None) -> int:
    """The CLI; returns the exit status (128 + the signal's number when Ctrl-C or SIGTERM stopped it)."""
    try:
        return _command(argv)
    except KeyboardInterrupt as exc:
        sig = interrupting_signal(exc)
        sys.stderr.write(f"rehearse: interrupted by {sig.name}; its app, disposable server and children "
                         f"were stopped (exit {128 + sig})\n")
        return 128 + sig


def _command(argv: list[str] | None) -> int:
    """The command ``argv`` names; its exit status."""
    parser = argparse.ArgumentParser(prog="python -m rehearse", description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", default="run", choices=("run", "matrix", "rollback", "faults"))
    parser.add_argument("--fault", default=os.environ.get("FAULT", ""), help="inject one fault (see `faults`)")
    parser.add_argument("--only", default="", help="matrix: only these faults (comma-separated)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MATRIX_JOBS") or 4),
                        help="matrix: faults rehearsed at once, each on its own disposable server (MATRIX_JOBS, 4)")
    parser.add_argument("--json", action="store_true", help="faults: the names as a JSON list (CI matrices)")
    parser.add_argument("--result", type=Path, help="--fault: write the fault's matrix row (JSON) here")
    parser.add_argument("--no-png", action="store_true",
                        help="the report without the sign-off page's PNG (no chromium; the matrix's faults)")
    parser.add_argument("--no-reverse-trial", action="store_true",
                        help="the way back without the reverse-migration trial on a copy (the matrix's faults)")
    args = parser.parse_args(argv)
    console = Console()
    if args.command == "faults":
        if args.json:
            sys.stdout.write(json.dumps(list(faults.FAULTS)) + "\n")
            return 0
        for each in faults.FAULTS.values():
            console.print(f"{each.name:<26} → {each.expected.value:<8} caught by {', '.join(each.caught_by):<14} "
                          f"{each.what}", highlight=False, markup=False)
        return 0
    if args.command == "matrix":
        names = [n.strip() for n in args.only.split(",") if n.strip()] or list(faults.FAULTS)
        try:
            for name in names:
                faults.get(name)
            shares_the_server(names, dict(os.environ))
        except (KeyError, ValueError) as exc:
            console.print(str(exc).strip('"'), markup=False)
            return 2
        return run_matrix(names, console, max(1, args.jobs))
    if args.command == "rollback":
        from rehearse.rollback import rehearse_latest_backup

        return rehearse_latest_backup(console)
    from rehearse.orchestrator import Rehearsal, RehearsalError, rehearsal_environ

    try:
        fault = faults.get(args.fault) if args.fault else None
        environ = rehearsal_environ()
    except (KeyError, RehearsalError) as exc:
        console.print(str(exc), markup=False)
        return 2
    rehearsal = Rehearsal(fault, console=console, environ=environ, report_png=not args.no_png,
                          try_reverse=not args.no_reverse_trial)
    code = rehearsal.execute()
    if args.result is not None and fault is not None:
        args.result.write_text(json.dumps(_row(rehearsal, fault.name, code), ensure_ascii=False))
    return code


if __name__ == "__main__":
    sigterm_as_interrupt()  # SIGTERM unwinds like Ctrl-C: app, disposable server and children stopped on the way out
    sys.exit(main())
