"""Pre-Migration Checklist: production access — DB reachable, every table dumpable, tools match."""

from __future__ import annotations

import re
import subprocess
from typing import TYPE_CHECKING

import pytest

from gate.expect import no_findings

if TYPE_CHECKING:
    from gate.fixtures import MessageReporter
    from gate.settings import Settings


def client_major(tool: str) -> int:
    """The major version of a PostgreSQL client tool (``pg_dump (PostgreSQL) 15.8`` → 15)."""
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    assert match, f"cannot read a version from {tool} --version: {out!r}"
    return int(match.group(1))


@pytest.mark.check("PRE-06", severity="critical")
def test_production_access(settings: Settings, request: pytest.FixtureRequest,
                           check_message: MessageReporter) -> None:
    """Доступ к production серверу подтверждён: reachable, SELECT on every table, pg_dump ≥ server major."""
    assert settings.database_url is not None, "DATABASE_URL is not set: the gate has no target to check"
    target_db = request.getfixturevalue("target_db")
    assert target_db.is_read_only, "the gate's connection must be read-only"
    assert target_db.tables(), f"{target_db.label} has no tables: wrong database?"
    no_findings(target_db.schemas_without_usage(), "schemas without USAGE")
    no_findings(target_db.tables_without_select(), "pg_dump could not read (no SELECT privilege)")
    server = target_db.server_major
    for tool in ("pg_dump", "pg_restore"):
        assert client_major(settings.tool(tool)) >= server, f"{tool} older than the server ({server})"
    writes = target_db.write_privileges()
    role = ("checks ran as a read-only role (GATE_DATABASE_URL: it can write nothing)" if not writes else
            f"checks ran read-only by session setting only ({'; '.join(writes)}): make gate-role creates a role "
            "that can write nothing (GATE_DATABASE_URL)")
    check_message(
        f"{len(target_db.tables())} tables readable, server {server}, pg_dump {client_major(settings.tool('pg_dump'))}; "
        + role
    )
