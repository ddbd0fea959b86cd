"""Check sessions without an interpreter start each: a warm pytest process forks one child per session.

The window runs its checks as about ten pytest sessions (one per group of checks between two
steps). ``python -m pytest`` pays 1–2.5 s per session before the first check runs: the
interpreter, pytest and its plugins, pydantic, psycopg, the gate's library and the check modules.
The server pays that once, in the background while the first step runs, then forks a child per
session. The child takes the session's environment, working directory and log file and runs
``pytest.main(args)`` with the arguments ``python -m pytest`` would get; its exit status is
pytest's. Each session is still its own process: its own environment and module state, its own
``atexit`` handlers, a crash or a hang confined to it.

The window process talks to the server over its stdin/stdout, one JSON line per session:
``{"args": [...], "env": {...}, "cwd": "...", "log": "..."}`` in, ``{"pid": N}`` when the child
started and ``{"exit": CODE}`` when it ended out (a negative code: killed by that signal, as
``subprocess`` says).

A session can be **prepared** while the step before it runs: ``{"prepare": {...}}`` forks the child,
which configures pytest and collects (the settings, the env file, the check modules: nothing of
the run's state) and then waits at ``pytest_runtestloop``, before any fixture or check, with
Ctrl-C ignored. ``{"go": true}`` lets it run (its log is renamed into place) and answers
``{"exit": CODE}``; ``{"cancel": true}`` (or any other request, or the end of the input) ends it
without running anything and removes what it wrote.

    server = PytestServer.start(python, env, cwd)   # imports pytest, its plugins and the checks
    code = server.session(args, env, cwd, log)        # one session, like python -m pytest args
    server.close()
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NoReturn, TypedDict, cast

WARM_DIRS = ("tests/preflight", "tests/window", "tests/postflight")
UNUSED_PLUGINS = ("-p", "no:pytest_postgresql", "-p", "no:django_test_migrations", "-p", "no:xdist.looponfail")
"""Installed for the project's own tests, never used by a check session: not loaded by the window's sessions
nor the warm-up (≈ 45 ms of imports and their hooks in every session)."""
LAZY_MODULES = (
    "gate.db.target", "gate.db.readonly", "gate.db.snapshot", "gate.db.point_of_no_return", "gate.http",
    "gate.onec.package", "gate.onec.prices", "gate.onec.price_types", "gate.onec.reading", "gate.runbook", "gate.backup",
    "gate.report.redact", "gate.verdict", "gate.console", "disposable_pg", "psycopg",
)
"""Imported by fixtures and checks inside their bodies (not at collection): warmed too."""


def warm(root: Path) -> int:
    """Import what every session imports, the way a session imports it; pytest's exit status of the listing.

    A listing (``pytest --co``) of the check directories loads pytest's plugins, the gate's plugin and
    the check modules through pytest's assertion rewriting, as a session would (a plugin imported
    any other way would lose its rewritten asserts and warn in every session). It writes nothing: a
    listing opens no run. Then the modules the checks import in their bodies.
    """
    import importlib

    import pytest

    cwd = Path.cwd()
    os.chdir(root)
    try:
        code = int(pytest.main(["-p", "no:cacheprovider", *UNUSED_PLUGINS, "--co", "-q", *WARM_DIRS]))
    finally:
        os.chdir(cwd)
    for name in LAZY_MODULES:
        with contextlib.suppress(Exception):  # a module that cannot import fails in its session, as before
            importlib.import_module(name)
    return code


class SessionRequest(TypedDict):
    """One session asked of the server: what ``python -m pytest`` would get."""

    args: list[str]
    env: dict[str, str]
    cwd: str
    log: str


PREPARED_SUFFIX = ".prepared"
"""A prepared session writes its log here until it is let go (then renamed to the log)."""


def _barrier(fd: int) -> object:
    """The prepared session's wait (a pytest plugin): after collection, before the first fixture or check."""
    import pytest

    class Barrier:
        @pytest.hookimpl(tryfirst=True)
        def pytest_runtestloop(self) -> None:
            got = os.read(fd, 1)
            os.close(fd)
            if not got:  # cancelled: nothing ran, nothing of the run was touched
                os._exit(0)
            signal.signal(signal.SIGINT, signal.default_int_handler)  # from here on, Ctrl-C as in any session

    return Barrier()


def _child(request: SessionRequest, channels: tuple[int, ...], barrier: int | None = None) -> int:
    """In the forked child: become the session's process, run pytest, return its exit status."""
    for fd in channels:
        os.close(fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    path = request["log"] + (PREPARED_SUFFIX if barrier is not None else "")
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(devnull)
    # Ctrl-C interrupts the session as before; a prepared one waiting for its step ignores it until let go
    signal.signal(signal.SIGINT, signal.default_int_handler if barrier is None else signal.SIG_IGN)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    import pytest

    sys.argv = [pytest.__file__, *request["args"]]
    plugins = [_barrier(barrier)] if barrier is not None else []
    return int(pytest.main(list(request["args"]), plugins=plugins))


def _exit(code: int) -> NoReturn:
    """End the session's process as the interpreter would, without tearing down the warm-up's modules.

    What a normal exit does for a session: wait for its non-daemon threads (``threading._shutdown``,
    which also runs ``concurrent.futures``' exit hooks), run its ``atexit`` handlers, flush its output.
    What it skips: freeing every module and object the server imported (about 40 ms per session of
    nothing a session could observe)."""
    import atexit
    import threading

    try:
        shutdown = getattr(threading, "_shutdown", None)
        if shutdown is not None:
            shutdown()
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


@dataclass
class _Prepared:
    pid: int
    go: int
    log: str

    def start(self) -> int:
        """Let it run; its exit status."""
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.log + PREPARED_SUFFIX, self.log)
        with contextlib.suppress(OSError):  # it may have ended already (a usage error): its status says so
            os.write(self.go, b"g")
        os.close(self.go)
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)

    def cancel(self) -> None:
        """End it before it ran anything; remove its log."""
        os.close(self.go)
        os.waitpid(self.pid, 0)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.log + PREPARED_SUFFIX)


def serve(root: Path) -> None:
    """The server's loop: warm up, then one forked child per request line; replies on the original stdout."""
    requests = os.fdopen(os.dup(0), "r")
    replies = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)  # stray prints while warming must not corrupt the replies
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the session; the server reports its end
    warm(root)
    gc.freeze()  # what the warm-up loaded is never collected: the sessions' gc passes skip it (and its pages stay shared)
    replies.write(json.dumps({"ready": True}) + "\n")
    replies.flush()
    prepared: _Prepared | None = None

    def reply(answer: dict[str, object]) -> None:
        replies.write(json.dumps(answer) + "\n")
        replies.flush()

    for line in requests:
        if not line.strip():
            continue
        message = json.loads(line)
        if "go" in message and prepared is not None:
            session, prepared = prepared, None
            reply({"exit": session.start()})
            continue
        if prepared is not None:  # a prepared session not let go: ends without running
            prepared.cancel()
            prepared = None
        if "cancel" in message or "go" in message:
            reply({"cancelled": True})
            continue
        request = cast(SessionRequest, message.get("prepare", message))
        barrier = os.pipe() if "prepare" in message else None
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            # never returns: its threads waited for, its atexit handlers run, its output flushed (``_exit``)
            own = (requests.fileno(), replies.fileno(), *((barrier[1],) if barrier else ()))
            _exit(_child(request, own, barrier[0] if barrier else None))
        reply({"pid": pid})
        if barrier is not None:
            os.close(barrier[0])
            prepared = _Prepared(pid, barrier[1], request["log"])
            continue
        _, status = os.waitpid(pid, 0)
        reply({"exit": os.waitstatus_to_exitcode(status)})
    if prepared is not None:
        prepared.cancel()


def speculative_server(argv: list[str]) -> PytestServer | None:
    """The server for ``python -m gate.window ARGV``, started before its settings are read, when the command
    line and the environment say the window will run checks (``migrate``/``step``, no ``--no-checks``,
    ``WINDOW_CHECKS`` not off), with the bundled backend's ``PYTHONPATH`` (the repository) unless the
    environment names another. The window keeps it only if it serves its sessions (``serves``)."""
    import toolpaths

    off = os.environ.get("WINDOW_CHECKS", "").strip().lower() in ("false", "0", "no", "off")
    if not argv or argv[0] not in ("migrate", "step") or "--no-checks" in argv or "-h" in argv or "--help" in argv or off:
        return None
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH") or str(toolpaths.REPO)}
    try:
        return PytestServer.start(window_python(), env, toolpaths.REPO)
    except OSError:
        return None


def window_python() -> str:
    """The interpreter of the window's check sessions: the gate's venv, else this one."""
    from toolpaths import VENV_PYTHON

    return str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


@dataclass
class PytestServer:
    """The window's side of the server: start it, run sessions through it, close it."""

    proc: subprocess.Popen[str]
    env: dict[str, str]
    ready: bool = False
    started: float = field(default_factory=time.monotonic)
    prepared: SessionRequest | None = None
    last_prepared: bool = False
    _pid: int = 0
    _pid_pending: bool = False

    @classmethod
    def start(cls, python: str, env: dict[str, str], cwd: Path) -> PytestServer:
        """Start the server (it warms up in the background; the first session waits for it)."""
        proc = subprocess.Popen([python, "-m", "gate.window.pytest_server", str(cwd)], cwd=cwd, env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, bufsize=1)
        return cls(proc, dict(env))

    def serves(self, env: dict[str, str]) -> bool:
        """True when a session with ``env`` can run here: server alive, same interpreter path (``PYTHONPATH``)."""
        return self.proc.poll() is None and env.get("PYTHONPATH") == self.env.get("PYTHONPATH")

    def _reply(self) -> dict[str, int | bool]:
        stream: IO[str] | None = self.proc.stdout
        line = stream.readline() if stream is not None else ""
        if not line:
            raise ConnectionError(f"pytest server ended (exit {self.proc.poll()})")
        answer = cast(dict[str, int | bool], json.loads(line))
        return answer

    def _send(self, message: object) -> None:
        if not self.ready:
            while "ready" not in self._reply():
                pass
            self.ready = True
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(message) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise ConnectionError(f"pytest server ended: {exc}") from exc

    def prepare(self, args: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
        """Fork the session ``session(args, env, cwd, log)`` will run, up to its first check (see the module).

        Returns once asked: the server's answer (the child's pid) is read with the next exchange, so the
        step the session waits for starts without waiting for the fork."""
        request: SessionRequest = {"args": args, "env": env, "cwd": str(cwd), "log": str(log)}
        self.cancel()
        self._send({"prepare": request})
        self._pid_pending = True
        self.prepared = request

    @property
    def prepared_pid(self) -> int:
        """The prepared session's process id."""
        self._take_pid()
        return self._pid

    def _take_pid(self) -> None:
        if self._pid_pending:
            self._pid_pending = False
            self._pid = int(self._reply()["pid"])

    def cancel(self) -> None:
        """End the prepared session, if any, without running it."""
        if self.prepared is not None:
            self.prepared = None
            self._take_pid()
            self._send({"cancel": True})
            self._reply()

    def session(self, args: list[str], env: dict[str, str], cwd: Path, log: Path) -> int:
        """Run one pytest session (``python -m pytest args``) in a fresh child (or the one prepared for
        exactly this session); its exit status.

        ``ConnectionError`` when the server is gone before the session started (the caller runs it
        the ordinary way); once started, the session's own status is returned.
        """
        request: SessionRequest = {"args": args, "env": env, "cwd": str(cwd), "log": str(log)}
        self.last_prepared = self.prepared is not None and self.prepared == request
        if self.last_prepared:
            self.prepared = None
            self._take_pid()
            self._send({"go": True})
        else:
            self.cancel()
            self._send(request)
            self._reply()  # {"pid": N}: the session started
        try:
            return int(self._reply()["exit"])
        except ConnectionError:
            return -9  # the server died with the session in it: the session did not report

    def discard(self) -> None:
        """End a server that will serve nothing (the window refused or failed before its first session):
        killed at once instead of waiting for its warm-up to end."""
        if not self.ready and self.proc.poll() is None:
            self.proc.kill()
        self.close()

    def close(self) -> None:
        """End the server (no session is running between ``session`` calls)."""
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


if __name__ == "__main__":
    serve(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())
