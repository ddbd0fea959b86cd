"""``python -m gate.window``: the migration window (``make migrate``) and its phases (``make flush``…).

    python -m gate.window migrate [--from STEP] [--confirm] [--repeat]
    python -m gate.window step NAME [--confirm]      # one phase with its checks (make backup, make flush…)
    python -m gate.window checks ID[,ID…]            # checks only, into the current run
    python -m gate.window status                     # the journal of the run (INTERRUPTED + the resume command)
    python -m gate.window close --reason WHY         # close an interrupted window on purpose (who + why recorded)

The run is ``RUN_DIR`` / ``RUN_ID`` (a new one for ``migrate``; for ``step``, ``--from`` and
``status`` the latest run unless given). Exit status: the verdict's (GO 0, NO-GO 10, ROLLBACK
20, MONITOR 30, HOTFIX 40, INTERRUPTED 50); 2 bad usage or settings; 3 a destructive step refused,
or the target is held by another window or one that did not end (``gate.db.window_lock``).
"""

from __future__ import annotations

import argparse
import io
import sys
from typing import TYPE_CHECKING

from gate.window.pytest_server import PytestServer, speculative_server, window_python

# ``python -m gate.window migrate|step``: the check sessions' server starts its warm-up now, before the
# settings machinery below is imported (≈ 0.2 s); main() keeps it only when it serves this window's sessions.
_SPECULATIVE = speculative_server(sys.argv[1:]) if __name__ == "__main__" else None

from gate.cli import command, load_settings, open_run  # noqa: E402
from gate.settings import Settings, announce_env_file_warnings, no_target  # noqa: E402
from gate.window.stages import STAGE_NAMES  # noqa: E402

if TYPE_CHECKING:
    from rich.console import Console

    from gate.run import Run
    from gate.window.runner import WindowRunner


def _ask_confirmation(console: Console) -> bool:
    console.print("This window migrates the target and FLUSHES its catalog (after a verified backup).")
    console.print("Type 'yes' to allow the destructive steps: ", end="")
    try:
        return input().strip().lower() == "yes"
    except EOFError:
        return False


def _notify(event: str, run: Run, settings: Settings) -> None:
    """Post a window event to #tech-alerts (the runbook's 01:30 and end messages).

    The answer is recorded in the run (PRE-05 reads it); a webhook that is down never fails the window.
    """
    from gate.notify import notify, notify_args

    try:
        notify(event, run.dir, **notify_args(settings))
    except Exception as exc:  # noqa: BLE001 - chat must never stop the migration
        sys.stderr.write(f"WARNING notify {event}: {type(exc).__name__}; the window goes on\n")


def _early_server(args: argparse.Namespace, settings: Settings,
                  speculative: PytestServer | None = None) -> PytestServer | None:
    """The check sessions' warm pytest server, started before the window imports the rest of itself,
    opens its run and claims the target: the first session (preflight, with no step before it to hide
    behind) waits for less of its warm-up. Only for a window that runs checks; ``None`` otherwise.
    ``speculative``: one started before the settings were read (:func:`speculative_server`), kept when it
    serves this window's sessions, else ended at once."""
    wanted = args.command in ("migrate", "step") and settings.window_checks and not getattr(args, "no_checks", False)
    if wanted and (no_target() or (args.command == "migrate"
                                   and not (args.confirm or settings.confirm or sys.stdin.isatty()))):
        wanted = False  # refused before anything starts: nothing to warm
    env: dict[str, str] = {}
    if wanted:
        from gate.target_cmd import target_env

        env = target_env(settings)
    if speculative is not None:
        if wanted and speculative.serves(env):
            return speculative
        speculative.discard()
    if not wanted:
        return None
    from gate.settings import REPO

    return PytestServer.start(window_python(), env, REPO)


def _print_verdict(run: Run, console: Console) -> int:
    from gate.console import render_summary
    from gate.types import EXIT_CODES, Verdict
    from gate.window.interrupted import INTERRUPTED, effective_summary

    summary = effective_summary(run)
    if not summary:
        return 0
    buffer = io.StringIO()
    render_summary(summary, buffer, color=console.is_terminal, width=console.width or 140)
    console.file.write(buffer.getvalue())
    console.print(f"run directory: {run.dir}", markup=False, highlight=False)
    decision = summary.get("decision")
    if summary.get("verdict") == INTERRUPTED:
        return int(decision["exit_code"]) if decision else 50
    return EXIT_CODES[Verdict(summary.get("verdict", "GO"))]


@command("window")
def main(argv: list[str] | None = None) -> int:
    """The CLI; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m gate.window", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    mig = sub.add_parser("migrate", help="the whole window")
    mig.add_argument("--from", dest="start", choices=STAGE_NAMES, help="resume a stopped window at this step")
    mig.add_argument("--to", dest="stop_after", choices=STAGE_NAMES, help="stop after this step")
    mig.add_argument("--confirm", action="store_true", help="allow destructive steps (CONFIRM=yes)")
    mig.add_argument("--repeat", action="store_true", help="allow repeating a step that already completed")
    mig.add_argument("--no-checks", action="store_true", help="bare steps (benchmark); backup checks still run")
    step = sub.add_parser("step", help="one phase with its checks")
    step.add_argument("name", choices=STAGE_NAMES)
    step.add_argument("--confirm", action="store_true")
    step.add_argument("--repeat", action="store_true")
    chk = sub.add_parser("checks", help="checks only, into the current run")
    chk.add_argument("ids")
    chk.add_argument("--xdist", action="store_true")
    sub.add_parser("status", help="the journal of the run")
    close = sub.add_parser("close", help="close an interrupted or unfinished window on purpose")
    close.add_argument("--reason", required=True, help="why (recorded with who closed it)")
    args = parser.parse_args(argv)
    announce_env_file_warnings(sys.stderr)
    try:
        settings = load_settings()
        server = _early_server(args, settings, _SPECULATIVE)
    except BaseException:
        if _SPECULATIVE is not None:
            _SPECULATIVE.discard()
        raise
    try:
        return _main(args, settings, server)
    finally:
        if server is not None:
            server.discard()  # taken by the window, which closed it; else never used


def _main(args: argparse.Namespace, settings: Settings, server: PytestServer | None) -> int:
    from rich.console import Console

    from gate.rollback.record import RollbackRecord
    from gate.window.interrupted import INTERRUPTED, effective_summary, mark_ended, mark_started
    from gate.window.runner import WindowRunner
    from gate.window.window_claim import claim_target, close_window, unfinished_local_run

    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    if args.command != "status" and (problem := no_target()):
        console.print(problem, markup=False)
        return 2
    fresh = args.command == "migrate" and not args.start
    if fresh and settings.run_dir is None and settings.run_id is None:
        unfinished = unfinished_local_run(settings)
        if unfinished:
            console.print(unfinished, markup=False, highlight=False, style="bold red")
            return 3
    run = open_run(settings, latest=not fresh)
    confirm = bool(getattr(args, "confirm", False) or settings.confirm)
    if args.command == "migrate" and not confirm:
        if sys.stdin.isatty() and _ask_confirmation(console):
            confirm = True
        else:
            console.print("refused before anything started: the window flushes the catalog; "
                          "give CONFIRM=yes (unattended) or answer 'yes'", markup=False)
            return 3
    runner = WindowRunner(settings, run, confirm=confirm, console=console,
                          checks_on=settings.window_checks and not getattr(args, "no_checks", False),
                          warm_server=server)
    if args.command == "status":
        for entry in run.journal():
            console.print(entry, markup=False, highlight=False)
        summary = effective_summary(run)
        if summary.get("verdict") == INTERRUPTED:
            console.print(summary["decision"]["matrix_row"], markup=False, highlight=False, style="bold red")
        elif summary:
            console.print(f"verdict so far: {summary.get('verdict')}", markup=False, highlight=False)
        rollback = RollbackRecord.of_run(run.dir)
        for line in rollback.status_lines(run.dir) if rollback else []:
            console.print(line, markup=False, highlight=False, style="bold red" if rollback and rollback.killed else None)
        return 0
    if args.command == "close":
        return close_window(settings, run, args.reason, console)
    if args.command == "checks":
        ids = tuple(i.strip() for i in args.ids.split(",") if i.strip())
        runner.run_checks("checks", ids, args.xdist)
        return _print_verdict(run, console)
    claim = claim_target(settings, run, console)
    if isinstance(claim, int):
        return claim
    mark_started(run, " ".join(sys.argv[1:]) or args.command)
    verdict = INTERRUPTED  # until the window returns normally (an exception or Ctrl-C leaves it interrupted)
    try:
        code = _run_window(args, run, runner, settings, console, fresh)
        verdict = str(effective_summary(run, persist=False).get("verdict", ""))
        mark_ended(run, verdict=verdict)
        return code
    finally:
        complete = (args.command == "migrate" and args.stop_after is None) or getattr(args, "name", "") == "smoke"
        claim.end(verdict, complete)


def _run_window(args: argparse.Namespace, run: Run, runner: WindowRunner, settings: Settings, console: Console,
                fresh: bool) -> int:
    from gate.types import Verdict
    from gate.window.runner import ResumeRefused
    from gate.window.window_claim import no_site_left_down

    try:
        if args.command == "migrate":
            console.print(f"window run {run.run_id} → {settings.target} ({run.dir})", markup=False, highlight=False)
            if fresh:
                _notify("start", run, settings)
            runner.run_window(start=args.start, repeat=args.repeat, stop_after=args.stop_after)
            if args.stop_after is None:
                _notify("verdict", run, settings)
                _notify("end", run, settings)
        else:
            if args.name in runner.completed_steps() and not args.repeat:
                raise ResumeRefused(f"step {args.name} already completed in run {run.run_id}; pass REPEAT=yes")
            runner.run_window(only=args.name, repeat=args.repeat)
        if runner.verdict() == Verdict.NO_GO.value:
            no_site_left_down(runner, run, settings)
    except ResumeRefused as exc:
        console.print(str(exc), markup=False)
        return 3
    return _print_verdict(run, console)




if __name__ == "__main__":
    sys.exit(main())
