"""One disposable server handed to several processes: a 0600 file naming it, read as an ``ExistingPostgres``.

The owner (the gate's window) starts the server — in the background, while other work runs — and
:meth:`Shared.publish` writes its superuser URL to a file only the owner's user can read; the
processes that would each have started their own server (the window's check sessions) call
:func:`adopt`, which returns the server as an :class:`~disposable_pg.existing.ExistingPostgres`
(never stopped by them) when the file is there and the server answers with the wanted major
version, and ``None`` otherwise (then they start their own, as before). The password travels in
that file only: never argv, never the environment.

>>> adopt(Path("/nonexistent/disposable_pg.json"), 15) is None
True
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import psycopg

from disposable_pg.base import DisposablePostgres
from disposable_pg.existing import ExistingPostgres
from disposable_pg.factory import disposable_postgres

FILE_NAME = "disposable_pg.json"
"""The hand-over file's name in the directory the owner and its sessions share (the gate's run directory)."""


def adopt(path: Path, major: int) -> ExistingPostgres | None:
    """The server ``path`` names, when it answers and runs PostgreSQL ``major``; else ``None``."""
    try:
        said = json.loads(path.read_text())
        url = str(said["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    server = ExistingPostgres(url)
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            if int(conn.info.server_version // 10000) != major:
                return None
    except psycopg.Error:
        return None
    return server


class Shared:
    """A disposable server started in a background thread, published to ``path`` once it listens.

    >>> s = Shared(Path("/tmp/x.json"), "local", 15)
    >>> s.server is None and s.error is None
    True
    """

    def __init__(self, path: Path, choice: str, major: int | Callable[[], int]) -> None:
        """``major``: the version, or how to learn it (asked in the background thread: it may connect somewhere)."""
        self.path, self.choice, self._major = path, choice, major
        self.major = major if isinstance(major, int) else 0
        self.server: DisposablePostgres | None = None
        self.error: str | None = None
        self._thread: threading.Thread | None = None

    def start_in_background(self) -> Shared:
        """Start the server in a thread; returns at once."""
        self._thread = threading.Thread(target=self._start, name="shared-disposable-pg", daemon=True)
        self._thread.start()
        return self

    def _start(self) -> None:
        try:
            if not isinstance(self._major, int):
                self.major = self._major()
            server = disposable_postgres(self.choice, major=self.major)
            server.start()
        except Exception as exc:  # noqa: BLE001 - whatever stops it, the sessions start their own
            self.error = f"{type(exc).__name__}: {exc}"  # the sessions start their own and report why not
            return
        self.server = server
        self.publish(server)

    def publish(self, server: DisposablePostgres) -> None:
        """Write the server's URL to ``path`` (mode 0600, created so, written atomically)."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"url": server.get_connection_url(), "backend": server.backend, "major": self.major}, fh)
        tmp.replace(self.path)

    def wait(self, timeout: float | None = None) -> DisposablePostgres | None:
        """The server once started (``None``: it could not start, or not within ``timeout``)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.server

    def stop(self) -> None:
        """Withdraw the file, wait for a start still under way, stop the server."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        if self._thread is not None:
            self._thread.join()
        server, self.server = self.server, None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        if server is not None:
            server.stop()


__all__ = ["FILE_NAME", "Shared", "adopt"]
