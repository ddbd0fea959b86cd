"""``python -m gate.migrations.size``: the target database's size in bytes (read-only), for migrate.sh's timings."""

from __future__ import annotations

import sys

from gate.db.fingerprint import database_size
from gate.db.readonly import connect_readonly
from gate.cli import command, load_settings


@command("size")
def main() -> int:
    """Print ``pg_database_size`` of the target."""
    with connect_readonly(load_settings().dsn()) as conn:
        sys.stdout.write(f"{database_size(conn)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
