"""Pick a disposable PostgreSQL backend: ``container``, ``local`` or ``auto``."""

from __future__ import annotations

import os
import sys

from disposable_pg.base import DisposablePostgres, PgUnavailable
from disposable_pg.local import LocalPostgres

BACKENDS = ("container", "local")


def container_available() -> bool:
    try:
        from disposable_pg.container import engine_answers
    except ImportError:
        return False
    return engine_answers()


def choose_backend(choice: str | None = None) -> str:
    """Resolve ``DISPOSABLE_PG`` (container|local|auto) to a backend that can run here."""
    choice = (choice or os.environ.get("DISPOSABLE_PG") or "auto").strip().lower()
    if choice not in (*BACKENDS, "auto"):
        raise PgUnavailable(f"DISPOSABLE_PG={choice!r}: expected container, local or auto")
    if choice == "auto":
        if container_available():
            return "container"
        print("disposable PostgreSQL: no Docker engine answers, using local server binaries", file=sys.stderr)
        return "local"
    return choice


def disposable_postgres(choice: str | None = None, major: int = 15) -> DisposablePostgres:
    """An unstarted disposable server of the chosen backend (use it as a context manager)."""
    backend = choose_backend(choice)
    if backend == "container":
        from disposable_pg.container import ContainerPostgres

        return ContainerPostgres(major=major)
    return LocalPostgres(major=major)
