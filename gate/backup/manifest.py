"""The backup manifest: what the backup step made, recorded in the run directory.

>>> BackupManifest(run_id="r", path="/b/x.dump").refused
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

MANIFEST = "backup.json"
PRE_SNAPSHOT = "pre_snapshot.json"


@dataclass(frozen=True, slots=True)
class BackupManifest:
    """Facts of one backup: file, checksum, run, exported snapshot, timing, disk room."""

    run_id: str
    path: str
    format: str = "custom"
    sha256: str = ""
    sha256_file: str = ""
    size_bytes: int = 0
    pg_snapshot_id: str = ""
    started_at: str = ""
    finished_at: str = ""
    duration_s: float = 0.0
    db_size_bytes: int = 0
    free_bytes: int = 0
    min_free_factor: float = 2.0
    refused: str | None = None
    error: str | None = None
    pre_snapshot: str = PRE_SNAPSHOT
    pg_dump_version: str = ""
    target: str = ""
    consistent: bool = True

    @property
    def disk_had_room(self) -> bool:
        """Free space was at least ``min_free_factor`` × the database size when the step began."""
        return self.free_bytes >= self.min_free_factor * self.db_size_bytes

    def save(self, run_dir: Path) -> Path:
        """Write ``backup.json`` into the run directory."""
        path = run_dir / MANIFEST
        path.write_text(json.dumps(asdict(self), indent=2))
        return path

    @classmethod
    def load(cls, run_dir: Path) -> BackupManifest | None:
        """The manifest of the run directory, ``None`` when the backup step has not run there."""
        path = run_dir / MANIFEST
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text()))
