"""Disposable PostgreSQL from local server binaries (``initdb`` + ``pg_ctl``).

PostgreSQL refuses to run as root, so when we are root the cluster is created and run as
the unprivileged ``postgres`` user, in a temporary directory that user owns. Every cluster
is registered under ``REGISTRY`` with the pid of the process that owns it; a later start
sweeps clusters whose owner died (``kill -9``), so nothing is left behind.

``initdb`` costs about a second; its output depends only on the binaries and the superuser
name, so the first start makes a template cluster under ``TEMPLATES`` and later starts copy
it and set this server's password (over the trusted unix socket, before TCP answers anything).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Self, TypeGuard

import psutil
import psycopg
from psycopg import sql

import toolpaths
from disposable_pg.base import PgUnavailable, ServerBase, make_password

REGISTRY = Path(tempfile.gettempdir()) / "freesport-disposable-pg"
TEMPLATES = Path(tempfile.gettempdir()) / "freesport-disposable-pg-templates"
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def find_bin_dir(major: int = 15) -> Path:
    """The directory holding ``initdb``/``pg_ctl``: ``PG_BIN_DIR``, else where the bootstrap found or installed them.

    Never a ``PATH`` lookup: ``scripts/bootstrap/postgres.sh`` records its choice (:mod:`toolpaths`).
    """
    override = os.environ.get("PG_BIN_DIR")
    if override:
        if (Path(override) / "initdb").exists():
            return Path(override)
        raise PgUnavailable(f"PG_BIN_DIR={override} has no initdb: point it at PostgreSQL {major} server binaries")
    try:
        found = toolpaths.find("pg-bin")
    except toolpaths.ToolMissing as exc:
        raise PgUnavailable(f"no PostgreSQL {major} server binaries: {exc}") from None
    if not (found / "initdb").exists():
        raise PgUnavailable(f"no initdb in {found} (recorded by the bootstrap): run `make bootstrap` or set PG_BIN_DIR")
    return found


def free_port() -> int:
    """A free loopback TCP port (the one definition: the rehearsal and the self-tests use it too)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as(user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--"] if user else []


def pid_alive(pid: int | None) -> TypeGuard[int]:
    """A process with this pid exists and is not a zombie (a dead child nobody reaped yet is dead)."""
    if not pid:
        return False
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def _younger_than(path: Path, seconds: float) -> bool | None:
    """Whether ``path`` changed less than ``seconds`` ago (None when it is already gone)."""
    try:
        return time.time() - path.stat().st_mtime < seconds
    except OSError:
        return None


def _is_cluster(path: Path) -> bool:
    try:
        return (path / "PG_VERSION").is_file()
    except OSError:  # e.g. another user's template: not readable by us
        return False


def sweep_orphans() -> list[Path]:
    """Stop and remove clusters whose owning process is gone."""
    removed: list[Path] = []
    if not REGISTRY.exists():
        return removed
    for entry in REGISTRY.iterdir():
        owner_file = entry / "owner.pid"
        try:
            owner = int(owner_file.read_text().strip())
        except (OSError, ValueError):
            owner = -1
        if owner > 0 and pid_alive(owner):
            continue
        if owner < 0 and _younger_than(entry, 60.0):
            continue  # another process is between mkdtemp() and writing owner.pid
        pidfile = entry / "data" / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, ProcessLookupError, IndexError):
            os.kill(int(pidfile.read_text().splitlines()[0]), signal.SIGQUIT)
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


class LocalPostgres(ServerBase):
    """A PostgreSQL cluster in a temp dir on a free loopback port, gone on ``stop()``.

    >>> with LocalPostgres() as pg:
    ...     psycopg.connect(pg.get_connection_url())
    """

    backend = "local"

    def __init__(
        self,
        major: int = 15,
        user: str = "postgres",
        dbname: str = "postgres",
        fast: bool = True,
        startup_timeout: float = 30.0,
    ) -> None:
        self.major = major
        self.bin_dir = find_bin_dir(major)
        self.user = user
        self.password = make_password()
        self.dbname = dbname
        self.host = "127.0.0.1"
        self.port = 0
        self.fast = fast
        self.startup_timeout = startup_timeout
        self.root: Path | None = None
        self._os_user = "postgres" if os.geteuid() == 0 else None
        self._started = False

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> Self:
        sweep_orphans()
        REGISTRY.mkdir(parents=True, exist_ok=True)
        REGISTRY.chmod(0o1777)
        self.root = Path(tempfile.mkdtemp(prefix="pg-", dir=REGISTRY))
        (self.root / "owner.pid").write_text(str(os.getpid()))
        self.root.chmod(0o755)
        data, sock = self.root / "data", self.root / "sock"
        sock.mkdir()
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._os_user:
            pw = pwd.getpwnam(self._os_user)
            for p in (self.root, sock, pwfile):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        pwfile.chmod(0o600)
        atexit.register(self.stop)
        try:
            template = self._template()
            if template is not None:
                self._run([*_run_as(self._os_user), "cp", "-a", str(template), str(data)])
            else:
                self._cmd("initdb", "-D", str(data), *self._initdb_args(), "--pwfile", str(pwfile))
            pwfile.unlink()
            self.port = free_port()
            opts = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={sock}"
            if self.fast:
                opts += "".join(f" -c {k}={v}" for k, v in FAST_SETTINGS.items())
            self._cmd("pg_ctl", "-D", str(data), "-l", str(self.root / "server.log"), "-o", opts, "-w",
                      "-t", str(int(self.startup_timeout)), "start")
            self._started = True
            self._set_up_over_socket(sock, set_password=template is not None)
            self._wait_ready()
        except Exception as exc:
            log = self.server_log()
            self.stop()
            if log and hasattr(exc, "add_note"):
                exc.add_note(f"server log:\n{log}")
            raise
        return self

    def stop(self) -> None:
        if self.root is None:
            return
        pid_file = self.root / "data" / "postmaster.pid"
        if self._started and pid_file.exists():
            postmaster = None
            with contextlib.suppress(OSError, ValueError, IndexError):
                postmaster = int(pid_file.read_text().split()[0])
            with contextlib.suppress(subprocess.CalledProcessError, OSError):
                self._cmd("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
            # pg_ctl -w returns once the pid file is gone; the postmaster may still be exiting
            deadline = time.monotonic() + 5
            while pid_alive(postmaster) and time.monotonic() < deadline:
                time.sleep(0.02)
        self._started = False
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)

    # -- facts -----------------------------------------------------------------------

    def exec(self, argv: Sequence[str]) -> tuple[int, str]:
        """Run a client tool of this server's version (``psql``, ``pg_dump``…) against it.

        >>> rc, out = pg.exec(["psql", "-Atc", "select 1"])
        """
        env = {**os.environ, "PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": self.user,
               "PGPASSWORD": self.password, "PGDATABASE": self.dbname,
               "PATH": f"{self.bin_dir}:{os.environ.get('PATH', '')}"}
        proc = subprocess.run(list(argv), capture_output=True, text=True, env=env, check=False)
        return proc.returncode, proc.stdout + proc.stderr

    def server_log(self) -> str:
        if self.root is None:
            return ""
        try:
            return (self.root / "server.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    # -- helpers ---------------------------------------------------------------------
    def _initdb_args(self) -> list[str]:
        return ["-U", self.user, "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8",
                "--locale=C.UTF-8", "--no-sync"]

    def _template(self) -> Path | None:
        """A cluster initdb'd once for these binaries and superuser (None: initdb each time)."""
        key = f"{self.major}-{self.user}-{hashlib.sha256(str(self.bin_dir).encode()).hexdigest()[:10]}"
        path = TEMPLATES / key
        if _is_cluster(path):
            return path
        build: Path | None = None
        try:
            TEMPLATES.mkdir(mode=0o755, exist_ok=True)
            if self._os_user:
                pw = pwd.getpwnam(self._os_user)
                os.chown(TEMPLATES, pw.pw_uid, pw.pw_gid)
            for stale in TEMPLATES.glob(".build-*"):
                if not _younger_than(stale, 600.0):
                    shutil.rmtree(stale, ignore_errors=True)
            build = Path(tempfile.mkdtemp(prefix=".build-", dir=TEMPLATES))
            build.chmod(0o755)
            if self._os_user:
                os.chown(build, pw.pw_uid, pw.pw_gid)
            self._cmd("initdb", "-D", str(build / "data"), *self._initdb_args())
            with contextlib.suppress(OSError):  # another process won the race: use theirs
                os.rename(build / "data", path)
        except (OSError, KeyError, subprocess.CalledProcessError):
            return None
        finally:
            if build is not None:
                shutil.rmtree(build, ignore_errors=True)
        return path if _is_cluster(path) else None

    def _set_up_over_socket(self, sock: Path, set_password: bool) -> None:
        """Password (for a copied template) and ``dbname``, over the trusted unix socket."""
        if not set_password and self.dbname == "postgres":
            return
        with psycopg.connect(host=str(sock), port=self.port, user=self.user, dbname="postgres",
                             autocommit=True) as conn:
            if set_password:
                conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(self.user), sql.Literal(self.password)))
            exists = conn.execute("select 1 from pg_database where datname = %s", (self.dbname,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.dbname)))

    def _cmd(self, tool: str, *args: str) -> None:
        self._run([*_run_as(self._os_user), str(self.bin_dir / tool), *args])

    @staticmethod
    def _run(argv: list[str]) -> None:
        proc = subprocess.run(argv, capture_output=True, text=True, cwd="/")
        if proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, argv, proc.stdout, proc.stderr)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.get_connection_url(), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                last = exc
                time.sleep(0.05)
        raise TimeoutError(f"local PostgreSQL on port {self.port} not ready: {last}")
