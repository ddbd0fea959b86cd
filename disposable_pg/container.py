"""Disposable PostgreSQL in a container, through testcontainers (the only module importing it).

Why the settings below: no registry is reachable on our machines, so testcontainers' reaper
(Ryuk) cannot be pulled and is disabled; we clean up ourselves instead. Every container carries
``LABEL`` plus its owner's pid, start time and host, and each ``start()`` first removes labelled
containers whose owner is gone (``kill -9``, SIGTERM), so nothing outlives the next run. The
machines have ``/.dockerenv``, which makes testcontainers hand out docker0's address; we pin
``TESTCONTAINERS_CONNECTION_MODE=docker_host`` and ``TC_HOST=127.0.0.1`` and publish the port
on loopback only. PGDATA lives on tmpfs and fsync is off: start-to-ready drops from ~3 s to ~1 s.

The image is a setting (``DISPOSABLE_PG_IMAGE``); by default ``freesport/postgres:15`` (built
from Debian packages by ``scripts/bootstrap/postgres-image.sh``) when present, else the
official ``postgres:15``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import socket
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Self

import psutil
import psycopg

from disposable_pg.base import PgUnavailable, ServerBase, make_password

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container
    from testcontainers.postgres import PostgresContainer

LABEL: Final = "org.freesport.disposable-pg"
OWNER_PID: Final = f"{LABEL}.owner-pid"
OWNER_STARTED: Final = f"{LABEL}.owner-started"
OWNER_HOST: Final = f"{LABEL}.owner-host"
PGDATA: Final = "/var/lib/postgresql/data"
LOCAL_IMAGE: Final = "freesport/postgres:{major}"
OFFICIAL_IMAGE: Final = "postgres:{major}"
FAST_FLAGS: Final = ("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
PING_TIMEOUT: Final = 2


def _docker_host_is_local() -> bool:
    host = os.environ.get("DOCKER_HOST", "")
    return host == "" or host.startswith("unix://")


def _testcontainers_env() -> None:
    """Settings testcontainers reads once, at import: set them before importing it."""
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")
    if _docker_host_is_local():
        os.environ.setdefault("TC_HOST", "127.0.0.1")


def docker_client(timeout: int = PING_TIMEOUT) -> docker.DockerClient:
    """A docker SDK client for the engine ``DOCKER_HOST`` (or the default socket) names."""
    import docker

    return docker.from_env(timeout=timeout)


_ENGINE_ERRORS: Final = (
    ("FileNotFoundError", "no socket"),
    ("PermissionError", "permission denied on the socket"),
    ("Connection refused", "connection refused"),
    ("timed out", "timed out"),
)


def engine_unavailable_reason() -> str | None:
    """Why no Docker engine can serve us right now, or None when one answers a ping."""
    where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    try:
        client = docker_client()
    except Exception as exc:  # the SDK raises DockerException, requests' errors, OSError…
        text = str(exc)
        for marker, why in _ENGINE_ERRORS:
            if marker in text:
                return f"no Docker engine answers at {where} ({why})"
        return f"no Docker engine answers at {where} ({type(exc).__name__}: {text[:120]})"
    try:
        client.ping()
    except Exception as exc:
        return f"the Docker engine does not answer a ping ({type(exc).__name__})"
    finally:
        client.close()
    return None


def engine_answers() -> bool:
    """A quick (≤ 2 s) yes/no for ``DISPOSABLE_PG=auto``."""
    return engine_unavailable_reason() is None


def resolve_image(major: int = 15) -> str:
    """``DISPOSABLE_PG_IMAGE``, else our locally built image when present, else the official one."""
    configured = os.environ.get("DISPOSABLE_PG_IMAGE", "").strip()
    if configured:
        return configured
    ours = LOCAL_IMAGE.format(major=major)
    with contextlib.suppress(Exception), contextlib.closing(docker_client()) as client:
        client.images.get(ours)
        return ours
    return OFFICIAL_IMAGE.format(major=major)


def unavailable_reason(major: int = 15) -> str | None:
    """Why the container backend cannot run here (no engine, or no image and no registry), or None."""
    reason = engine_unavailable_reason()
    if reason:
        return reason
    image = resolve_image(major)
    with contextlib.closing(docker_client(timeout=600)) as client:
        try:
            client.images.get(image)
            return None
        except Exception:
            missing = f"image {image} is missing (run 'make bootstrap-containers')"
        if image.startswith("freesport/") or os.environ.get("DISPOSABLE_PG_NO_PULL") == "1":
            return missing
        try:  # where a registry answers, the official image is pulled once (what testcontainers would do)
            client.images.pull(image)
        except Exception as exc:
            return f"{missing}, and cannot be pulled ({type(exc).__name__})"
    return None


def _process_started(pid: int) -> float | None:
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def _owner_alive(labels: dict[str, str]) -> bool:
    try:
        pid, started = int(labels[OWNER_PID]), float(labels[OWNER_STARTED])
    except (KeyError, ValueError):
        return False
    actual = _process_started(pid)
    return actual is not None and abs(actual - started) < 1.0


def owner_labels() -> dict[str, str]:
    """The labels naming this process as a container's owner (pid + start time against pid reuse)."""
    pid = os.getpid()
    return {
        LABEL: "1",
        OWNER_PID: str(pid),
        OWNER_STARTED: f"{_process_started(pid) or 0.0:.3f}",
        OWNER_HOST: socket.gethostname(),
    }


def labelled_containers() -> list[Container]:
    """Every container (running or not) carrying our label, on the engine we talk to."""
    with contextlib.closing(docker_client(timeout=30)) as client:
        return list(client.containers.list(all=True, filters={"label": LABEL}))


def sweep_orphans() -> list[str]:
    """Remove labelled containers whose owning process (on this host) is gone; their ids."""
    removed: list[str] = []
    with contextlib.suppress(Exception):
        for container in labelled_containers():
            labels = container.labels or {}
            if labels.get(OWNER_HOST) != socket.gethostname() or _owner_alive(labels):
                continue
            with contextlib.suppress(Exception):
                container.remove(force=True, v=True)
                removed.append(str(container.id))
    return removed


class ContainerPostgres(ServerBase):
    """A PostgreSQL container on a random loopback port, removed on ``stop()``.

    >>> with ContainerPostgres() as pg:
    ...     psycopg.connect(pg.get_connection_url())
    """

    backend = "container"

    def __init__(
        self,
        major: int = 15,
        image: str | None = None,
        user: str = "postgres",
        dbname: str = "postgres",
        fast: bool = True,
        startup_timeout: float = 60.0,
        poll_interval: float = 0.1,
        env: Mapping[str, str] | None = None,
        server_settings: Mapping[str, str] | None = None,
    ) -> None:
        self.major = major
        self._image = image
        self.user = user
        self.password = make_password()
        self.dbname = dbname
        self.host = "127.0.0.1"
        self.port = 0
        self.fast = fast
        self.startup_timeout = startup_timeout
        self.poll_interval = poll_interval
        self.env = dict(env or {})
        self.server_settings = dict(server_settings or {})
        self._tc: PostgresContainer | None = None

    @property
    def image(self) -> str:
        if self._image is None:
            self._image = resolve_image(self.major)
        return self._image

    @property
    def container_id(self) -> str | None:
        """The engine's id of the running container (None when stopped)."""
        if self._tc is None or self._tc._container is None:
            return None
        return str(self._tc._container.id)

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> Self:
        reason = engine_unavailable_reason()
        if reason:
            raise PgUnavailable(reason)
        sweep_orphans()
        self._tc = _new_container(self)
        atexit.register(self.stop)
        try:
            self._tc.start()
            self.host = self._tc.get_container_host_ip()
            self.port = int(self._tc.get_exposed_port(5432))
            self._wait_reachable()
        except BaseException as exc:
            log = self.server_log()
            self.stop()
            if (
                log
                and isinstance(exc, Exception)
                and f"container log ({self.image})" not in str(getattr(exc, "__notes__", ""))
            ):
                exc.add_note(f"container log ({self.image}):\n{log}")
            raise
        return self

    def stop(self) -> None:
        tc, self._tc = self._tc, None
        if tc is not None:
            with contextlib.suppress(Exception):
                tc.stop(force=True, delete_volume=True)
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)

    # -- facts -----------------------------------------------------------------------

    def exec(self, argv: Sequence[str]) -> tuple[int, str]:
        """Run a client tool of this server's version (``psql``, ``pg_dump``…) inside the container.

        >>> rc, out = pg.exec(["psql", "-Atc", "select 1"])
        """
        if self._tc is None:
            raise PgUnavailable("the container is not running")
        env = {
            "PGHOST": "127.0.0.1",
            "PGPORT": "5432",
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.dbname,
        }
        result = self._tc.get_wrapped_container().exec_run(list(argv), environment=env)
        code, output = result.exit_code, result.output
        if code is None or not isinstance(output, bytes):  # only a streamed exec lacks them
            raise PgUnavailable(f"docker exec {argv[0]}: no exit code")
        return code, output.decode(errors="replace")

    def server_log(self) -> str:
        """The container's output (the server log), last 4000 characters."""
        if self._tc is None or self._tc._container is None:
            return ""
        try:
            return str(self._tc._container.logs().decode(errors="replace"))[-4000:]
        except Exception:
            return ""

    # -- helpers ---------------------------------------------------------------------
    def _wait_reachable(self) -> None:
        """The server answered psql inside; also wait for the published port (docker-proxy)."""
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                with psycopg.connect(self.get_connection_url(), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"container PostgreSQL on {self.host}:{self.port} not reachable"
                    ) from exc
                time.sleep(self.poll_interval)


def _new_container(pg: ContainerPostgres) -> PostgresContainer:
    """Build the testcontainers object (imported here only: the local backend never needs it)."""
    _testcontainers_env()
    from testcontainers.core.config import ConnectionMode, testcontainers_config
    from testcontainers.core.exceptions import ContainerStartException

    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # testcontainers < 4.15
        from testcontainers.postgres import PostgresContainer  # type: ignore[no-redef, unused-ignore]

    testcontainers_config.ryuk_disabled = os.environ["TESTCONTAINERS_RYUK_DISABLED"].lower() in (
        "1",
        "true",
        "yes",
    )
    testcontainers_config.connection_mode_override = ConnectionMode(
        os.environ["TESTCONTAINERS_CONNECTION_MODE"]
    )
    if os.environ.get("TC_HOST"):
        testcontainers_config.tc_host_override = os.environ["TC_HOST"]

    class _Postgres(PostgresContainer):
        """Upstream's psql readiness check, polled faster; fails at once if the server exits."""

        def _connect(self) -> None:
            password = self.password.replace("'", "'\"'\"'")
            check = (
                f"PGPASSWORD='{password}' psql --username {self.username} --dbname {self.dbname}"
                " --host 127.0.0.1 -c 'select version();'"
            )
            deadline = time.monotonic() + pg.startup_timeout
            last = ""
            container = self.get_wrapped_container()
            while True:
                container.reload()
                if container.status in ("exited", "dead"):
                    code = container.attrs.get("State", {}).get("ExitCode")
                    raise ContainerStartException(f"PostgreSQL container exited (code {code}) before ready")
                with contextlib.suppress(Exception):
                    rc, output = self.exec(["sh", "-c", check])
                    if rc == 0:
                        return
                    last = output.decode(errors="replace").strip()[-300:] if isinstance(output, bytes) else last
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"PostgreSQL in {pg.image} not ready within {pg.startup_timeout:g} s (psql: {last})"
                    )
                time.sleep(pg.poll_interval)

    name = f"freesport-pg-{os.getpid()}-{secrets.token_hex(3)}"
    tc = _Postgres(
        pg.image,
        username=pg.user,
        password=pg.password,
        dbname=pg.dbname,
        driver=None,
        name=name,
        labels=owner_labels(),
    )
    tc.with_envs(**pg.env)
    tc.with_tmpfs_mount(PGDATA)
    if _docker_host_is_local():
        ports: dict[str, Any] = tc.ports  # docker-py also takes (host_ip,): a random port on it
        ports["5432"] = ("127.0.0.1",)  # publish on loopback only
    flags = list(FAST_FLAGS) if pg.fast else []
    for key, value in pg.server_settings.items():
        flags += ["-c", f"{key}={value}"]
    if flags:
        tc.with_command(flags)
    return tc
