"""Probe (runs inside the target): ``sqlmigrate`` of every migration named, in one process (MIG-03);
``None`` names every migration still pending on the target's database, in plan order."""

from __future__ import annotations

import io

from django.core.management import call_command


def main(names: list[str] | None) -> dict[str, str | None]:
    """``{"app.name": SQL}``; ``None`` for a migration ``sqlmigrate`` could not print."""
    out: dict[str, str | None] = {}
    if names is None:
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        names = [f"{m.app_label}.{m.name}" for m, backwards in plan if not backwards]
    for label in names:
        app, name = label.split(".", 1)
        buf = io.StringIO()
        try:
            call_command("sqlmigrate", app, name, stdout=buf)
            out[label] = buf.getvalue()
        except Exception:  # noqa: BLE001 - the caller falls back to one sqlmigrate per migration
            out[label] = None
    return out
