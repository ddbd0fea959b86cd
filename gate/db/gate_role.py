"""A role for the checks that can read every table and write none (``make gate-role``).

The checks' connection is read-only by session setting (``default_transaction_read_only=on``),
which a session may turn off again. A role without write privileges makes it binding: it is a
member of PostgreSQL's ``pg_read_all_data`` (SELECT on every table, view and sequence, USAGE on
every schema, now and later) and nothing else, and its sessions default to read-only too.
PRE-06 reports whether the checks ran as such a role (``GATE_DATABASE_URL``) or not.

    python -m gate.db.gate_role                       # print the SQL (run it as the database owner)
    python -m gate.db.gate_role --apply ENV_FILE      # run it with DATABASE_URL; append GATE_DATABASE_URL to ENV_FILE

>>> print(role_sql("freesport_gate", "shop"))  # doctest: +ELLIPSIS
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'freesport_gate') THEN ...
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from psycopg import sql

from gate.cli import command, load_settings

DEFAULT_ROLE = "freesport_gate"


def role_sql(role: str, database: str, password: str | None = None) -> str:
    """The statements that create (or re-grant) the read-only role; ``password`` None: set it yourself."""
    ident = sql.Identifier(role).as_string(None)
    lit = sql.Literal(role).as_string(None)
    db = sql.Identifier(database).as_string(None)
    pw = f" PASSWORD {sql.Literal(password).as_string(None)}" if password else ""
    return "\n".join([
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {lit}) THEN "
        f"CREATE ROLE {ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT; END IF; END $$;",
        f"ALTER ROLE {ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT{pw};",
        f"GRANT CONNECT ON DATABASE {db} TO {ident};",
        f"GRANT pg_read_all_data TO {ident};",
        f"GRANT pg_read_all_stats TO {ident};  -- the window lock's holder (pg_stat_activity) is visible",
        f"ALTER ROLE {ident} SET default_transaction_read_only = on;",
    ])


def apply(database_url: str, env_file: Path, role: str = DEFAULT_ROLE) -> str:
    """Create the role through ``database_url`` (its owner) and append ``GATE_DATABASE_URL`` to ``env_file``."""
    from gate.db.readonly import connect_redacted

    parts = urlsplit(database_url)
    database = parts.path.lstrip("/")
    password = secrets.token_urlsafe(24)
    with connect_redacted(database_url, autocommit=True) as conn:
        conn.execute(role_sql(role, database, password))
    netloc = f"{quote(role)}:{quote(password)}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    url = urlunsplit(parts._replace(netloc=netloc))
    fd = os.open(env_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a") as fh:
        fh.write(f"GATE_DATABASE_URL={url}\n")
    return f"role {role} can read every table of {database} and write none; GATE_DATABASE_URL appended to {env_file}"


@command("gate-role")
def main(argv: list[str] | None = None) -> int:
    """Print the SQL, or apply it (``--apply ENV_FILE``)."""
    parser = argparse.ArgumentParser(prog="python -m gate.db.gate_role", description=__doc__.split("\n")[0])
    parser.add_argument("--role", default=DEFAULT_ROLE)
    parser.add_argument("--apply", type=Path, metavar="ENV_FILE", help="create it now; append GATE_DATABASE_URL here")
    args = parser.parse_args(argv)
    dsn = load_settings().dsn()
    if args.apply is None:
        sys.stdout.write(role_sql(args.role, urlsplit(dsn).path.lstrip("/")) + "\n-- then: ALTER ROLE "
                         f"{args.role} PASSWORD '...'; and GATE_DATABASE_URL=postgresql://{args.role}:...@host/db\n")
        return 0
    sys.stdout.write(apply(dsn, args.apply, args.role) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
