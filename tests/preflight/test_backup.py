"""Step 1: Pre-Migration Backup — the dump exists, lists every table, its sha256 holds, it restores."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gate.expect import no_findings

if TYPE_CHECKING:
    from disposable_pg import DisposablePostgres
    from gate.backup import Backup
    from gate.db.snapshot import Snapshot
    from gate.fixtures import MessageReporter
    from gate.run import Run


@pytest.mark.check("BKP-01", severity="critical")
def test_backup_file_is_new_and_non_empty(backup: Backup, run: Run, check_message: MessageReporter) -> None:
    """Создать backup: the file exists, was made by this run, is not empty; the disk had 2× the DB size free."""
    manifest = backup.manifest
    assert manifest is not None, f"{backup.path}: no backup manifest in this run"
    assert manifest.refused is None, manifest.refused
    assert manifest.error is None, manifest.error
    assert backup.exists, f"{backup.path} does not exist"
    assert not backup.is_empty, f"{backup.path} is empty"
    assert backup.is_from_run(run), (
        f"{backup.path} is not this run's backup (manifest run {manifest.run_id}, this run {run.run_id})"
    )
    assert manifest.disk_had_room, (
        f"{manifest.free_bytes} bytes free < {manifest.min_free_factor:g} × {manifest.db_size_bytes}"
    )
    check_message(f"{backup.path.name}: {backup.size_bytes} bytes, {manifest.duration_s:.1f}s")


@pytest.mark.check("BKP-02", severity="critical")
def test_backup_lists_every_table(backup: Backup, pre_snapshot: Snapshot,
                                  check_message: MessageReporter) -> None:
    """pg_restore --list reads the backup and it holds data for every table."""
    assert backup.is_readable, f"pg_restore --list cannot read {backup.path}: {backup.toc[1][-500:]}"
    no_findings(backup.missing_tables(set(pre_snapshot.tables)), "tables without data in the dump")
    check_message(f"{len(backup.listed_tables())} tables with data")


@pytest.mark.check("BKP-03", severity="critical")
def test_backup_sha256_recorded_and_matches(backup: Backup, check_message: MessageReporter) -> None:
    """sha256sum backup: recorded beside the dump and matching the file."""
    assert backup.sha256_recorded, f"no {backup.sidecar.name} beside the backup"
    assert backup.sha256_matches, f"{backup.path.name} does not match its recorded sha256"
    check_message(f"sha256 {backup.manifest.sha256 if backup.manifest else '?'}")


@pytest.mark.check("BKP-04", severity="critical")
def test_backup_restores_into_disposable_pg(backup: Backup, disposable_pg: DisposablePostgres, run: Run,
                                            window_pg: bool, check_message: MessageReporter) -> None:
    """The backup restores into a disposable PostgreSQL and its fingerprint equals the live DB's at backup time."""
    from gate.migrations.trial import restore_for_bkp04

    restored = restore_for_bkp04(backup, disposable_pg, run.dir, keep=window_pg)  # kept for MIG-05's copy
    assert restored
    check_message(f"restored and fingerprint-equal: {len(restored.restored.tables) if restored.restored else 0} tables"
                  + (" (restored by the window while the preflight ran)" if restored.reused else ""))
