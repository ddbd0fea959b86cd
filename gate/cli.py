"""The opening every gate command shares: the settings (or exit 2 naming the setting), then this run.

A command's ``main`` is wrapped by :func:`command`: a bad setting anywhere in it (a value that does
not parse, a missing ``DATABASE_URL`` asked for) ends it with exit status 2 and one line on stderr,
``<prog>: settings: <the setting, where it came from, what is wrong>``, never a traceback; Ctrl-C
ends it, after its clean-up, with exit status 130 and ``<prog>: interrupted``.
:func:`open_run` finds the run a command works in. The process environment is read by
``gate.settings`` only; a command passes what it found on as arguments.

>>> @command("demo")
... def main() -> int:
...     load_settings(environ={"BACKUP_JOBS": "x"}, env_file=None)
...     return 0
>>> main()
2
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec

from gate.run import Run
from gate.settings import Settings, SettingsError, load_settings

P = ParamSpec("P")

__all__ = ["command", "load_settings", "open_run"]


def command(prog: str) -> Callable[[Callable[P, int]], Callable[P, int]]:
    """Wrap a command's ``main``: a :class:`SettingsError` becomes exit 2 with ``prog: settings: …`` on stderr,
    Ctrl-C exit 130 with ``prog: interrupted``."""

    def wrap(main: Callable[P, int]) -> Callable[P, int]:
        @functools.wraps(main)
        def run(*args: P.args, **kwargs: P.kwargs) -> int:
            try:
                return main(*args, **kwargs)
            except SettingsError as exc:
                sys.stderr.write(f"{prog}: settings: {exc}\n")
                return 2
            except KeyboardInterrupt:  # its clean-up (finally, with) has run on the way here
                sys.stderr.write(f"{prog}: interrupted (exit 130)\n")
                return 130

        return run

    return wrap


def open_run(settings: Settings, run_dir: Path | None = None, latest: bool = False) -> Run:
    """The command's run: ``run_dir`` when given, else ``RUN_DIR`` / ``RUN_ID``, else (``latest``) the
    newest run under ``RUNS_ROOT`` when there is one, else a new run there."""
    if run_dir is not None:
        return Run.open(run_dir)
    if settings.run_dir is not None or settings.run_id is not None:
        return Run.open(settings.run_dir, settings.run_id, settings.runs_root)
    newest = settings.runs_root / "latest"
    if latest and newest.exists():
        return Run.open(newest.resolve())
    return Run.open(None, None, settings.runs_root)
