"""Fixtures of the rollback checks: the rollback's record and the snapshot it must restore."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.backup.manifest import PRE_SNAPSHOT, BackupManifest
from gate.db.snapshot import Snapshot
from gate.rollback import RollbackRecord


@pytest.fixture(scope="session")
def rollback_record(run_dir: Path) -> RollbackRecord:
    """What the rollback script recorded in this run; skips when no rollback ran here."""
    record = RollbackRecord.of_run(run_dir)
    if record is None:
        pytest.skip(f"no rollback ran in this run ({run_dir.name}/rollback.json absent): "
                    "`make rollback-rehearsal` or `make rehearsal` proves it")
    return record


@pytest.fixture(scope="session")
def rollback_pre_snapshot(run_dir: Path) -> Snapshot:
    """The pre-migration snapshot the backup step took in the dump's own exported snapshot."""
    manifest = BackupManifest.load(run_dir)
    path = run_dir / (manifest.pre_snapshot if manifest else PRE_SNAPSHOT)
    if not path.exists():
        pytest.fail(f"no pre-migration snapshot {path.name} in the run directory", pytrace=False)
    return Snapshot.load(path)
