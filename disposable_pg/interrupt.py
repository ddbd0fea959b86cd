"""SIGTERM as Ctrl-C: one mechanism for every process that holds a disposable server.

Python dies on SIGTERM without running ``finally`` blocks, ``with`` exits or ``atexit``, so a
CI timeout or a ``kill`` would leave servers (and whatever else a process started) behind until
the next sweep. :func:`sigterm_as_interrupt` makes SIGTERM raise :class:`Terminated`, a
``KeyboardInterrupt``: the process unwinds through its normal clean-up exactly as on Ctrl-C.
The pytest plugin installs it for test sessions, ``python -m rehearse`` for rehearsals.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


class Terminated(KeyboardInterrupt):
    """SIGTERM turned into Ctrl-C; ``signum`` is the signal that arrived."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum


def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


def sigterm_as_interrupt() -> bool:
    """Make SIGTERM raise :class:`Terminated` (in the main thread, when nobody else handles it); True when installed."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
        return True
    return signal.getsignal(signal.SIGTERM) is _sigterm_as_interrupt


def interrupting_signal(exc: BaseException) -> signal.Signals:
    """The signal behind a ``KeyboardInterrupt``: SIGTERM for :class:`Terminated`, else SIGINT (Ctrl-C)."""
    return signal.Signals(exc.signum) if isinstance(exc, Terminated) else signal.SIGINT


__all__ = ["Terminated", "interrupting_signal", "sigterm_as_interrupt"]
