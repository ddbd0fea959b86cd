"""``python -m gate.backup``: the window's backup step (``make backup``).

Takes the backup of the configured target into ``BACKUP_DIR`` with the pre-migration
snapshot from the same exported snapshot, records ``backup.json`` in ``RUN_DIR`` and prints
the file and its sha256. Exit 0 on success, 2 when refused (disk), 1 when pg_dump failed.
"""

from __future__ import annotations

import sys

from gate.backup.take import BackupFailed, BackupRefused, take_backup
from gate.cli import command, load_settings, open_run


@command("backup")
def main() -> int:
    """Run the backup step; the exit status says what happened."""
    settings = load_settings()
    run = open_run(settings)
    try:
        manifest = take_backup(settings, run)
    except BackupRefused as exc:
        sys.stderr.write(f"backup: {exc}\n")
        return 2
    except BackupFailed as exc:
        sys.stderr.write(f"backup: {exc}\n")
        return 1
    sys.stdout.write(
        f"backup: {manifest.path}\nsha256: {manifest.sha256}\nrun: {run.run_id} ({run.dir})\n"
        f"snapshot: {manifest.pg_snapshot_id}  size: {manifest.size_bytes} bytes  took {manifest.duration_s:.1f}s\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
