"""Pick a disposable PostgreSQL backend: ``container``, ``local`` or ``auto``.

``auto`` prefers containers (the same image CI and laptops use) when an engine answers and the
image is there, and otherwise falls back to local server binaries, saying why on stderr.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from disposable_pg.base import DisposablePostgres, PgUnavailable
from disposable_pg.local import LocalPostgres

BACKENDS = ("container", "local")


def container_unavailable_reason(major: int = 15) -> str | None:
    """Why the container backend cannot run here, or None when it can."""
    try:
        from disposable_pg.container import unavailable_reason
    except ImportError as exc:
        return f"the container adapter cannot be imported ({exc})"
    return unavailable_reason(major)


def container_available(major: int = 15) -> bool:
    return container_unavailable_reason(major) is None


def choose_backend(choice: str | None = None, major: int = 15) -> str:
    """Resolve ``DISPOSABLE_PG`` (container|local|auto) to a backend that can run here."""
    choice = (choice or os.environ.get("DISPOSABLE_PG") or "auto").strip().lower()
    if choice not in (*BACKENDS, "auto"):
        raise PgUnavailable(f"DISPOSABLE_PG={choice!r}: expected container, local or auto")
    if choice == "auto":
        reason = container_unavailable_reason(major)
        if reason is None:
            return "container"
        sys.stderr.write(f"containers unavailable: {reason}; using local PostgreSQL binaries\n")
        return "local"
    return choice


def new_server(backend: str, **options: Any) -> DisposablePostgres:
    """An unstarted server of exactly ``backend``; ``options`` go to its class (``major``…)."""
    if backend == "container":
        from disposable_pg.container import ContainerPostgres

        return ContainerPostgres(**options)
    if backend == "local":
        return LocalPostgres(**options)
    raise PgUnavailable(
        f"unknown disposable PostgreSQL backend {backend!r}: expected {' or '.join(BACKENDS)}"
    )


def disposable_postgres(choice: str | None = None, major: int = 15) -> DisposablePostgres:
    """An unstarted disposable server of the chosen backend (use it as a context manager)."""
    return new_server(choose_backend(choice, major), major=major)
