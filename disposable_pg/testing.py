"""Facts about what a disposable server leaves behind, for tests of teardown and sweeps."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from disposable_pg.base import DisposablePostgres


def port_closed(host: str, port: int, wait: float = 5.0) -> bool:
    """Nothing accepts on host:port (waits a little: a killed postmaster exits asynchronously)."""
    deadline = time.monotonic() + wait
    while True:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) != 0:
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def leftover_handle(pg: DisposablePostgres) -> str:
    """What the server would leave behind if teardown failed: its container id or cluster dir."""
    if pg.backend == "container":
        return str(getattr(pg, "container_id", ""))
    return str(getattr(pg, "root", ""))


def still_exists(backend: str, handle: str) -> bool:
    """The container (any state) or cluster directory named by ``handle`` is still there."""
    if backend == "container":
        from disposable_pg.container import labelled_containers

        return any(c.id == handle for c in labelled_containers())
    return Path(handle).exists()


def sweep_orphans(backend: str) -> list[str]:
    """Run ``backend``'s orphan sweep now (what the next ``start()`` does first)."""
    if backend == "container":
        from disposable_pg.container import sweep_orphans as sweep_containers

        return sweep_containers()
    from disposable_pg.local import sweep_orphans as sweep_clusters

    return [str(p) for p in sweep_clusters()]
