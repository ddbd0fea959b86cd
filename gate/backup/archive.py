"""A backup as facts: exists, is from this run, checksum matches, lists every table, restores.

>>> backup = Backup.of_run(run, settings)          # doctest: +SKIP
>>> assert backup.exists and backup.sha256_matches  # doctest: +SKIP
>>> assert backup.restores_into(disposable_pg)      # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from gate.backup.manifest import BackupManifest
from gate.backup.take import sha256_of
from gate.db.snapshot import Snapshot
from gate.run import Run
from gate.settings import libpq_env

if TYPE_CHECKING:
    from disposable_pg import DisposablePostgres

_TOC_DATA = re.compile(r"^\d+;\s*\d+\s+\d+\s+TABLE DATA\s+(\S+)\s+(\S+)\s")


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """The outcome of restoring a backup and fingerprinting what came back; truthy when equal."""

    ok: bool
    database: str = ""
    differences: tuple[str, ...] = ()
    error: str = ""
    restored: Snapshot | None = field(default=None, repr=False)
    reused: bool = False
    """A restore of the same backup kept earlier in the run (the window's), taken instead of restoring again."""

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        if self.ok:
            return f"RestoreResult(ok, database={self.database})"
        detail = self.error or "; ".join(self.differences[:20])
        return f"RestoreResult(failed: {detail})"


@dataclass
class Backup:
    """One backup file (or directory dump) and the manifest the backup step wrote for it.

    >>> Backup(Path("/nonexistent.dump")).exists
    False
    """

    path: Path
    manifest: BackupManifest | None = None
    pre_snapshot_path: Path | None = None
    pg_restore: str = "pg_restore"
    jobs: int = 2

    @classmethod
    def of_run(cls, run: Run, pg_restore: str = "pg_restore", jobs: int = 2) -> Backup | None:
        """The backup this run's backup step made (``None`` before the step ran)."""
        manifest = BackupManifest.load(run.dir)
        if manifest is None:
            return None
        return cls(Path(manifest.path), manifest, run.dir / manifest.pre_snapshot, pg_restore, jobs)

    # facts ------------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        """The file (or directory dump with its ``toc.dat``) is there."""
        return (self.path / "toc.dat").is_file() if self.path.is_dir() else self.path.is_file()

    @property
    def size_bytes(self) -> int:
        """Size on disk (all files of a directory dump)."""
        if not self.exists:
            return 0
        if self.path.is_dir():
            return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())
        return self.path.stat().st_size

    @property
    def is_empty(self) -> bool:
        """Zero bytes (or missing)."""
        return self.size_bytes == 0

    def is_from_run(self, run: Run) -> bool:
        """Made by ``run``'s backup step: its manifest names the run and the file is newer than the run's start."""
        if self.manifest is None or self.manifest.run_id != run.run_id or not self.exists:
            return False
        mtime = datetime.fromtimestamp(self.path.stat().st_mtime, tz=run.started_at.tzinfo)
        return mtime >= run.started_at.replace(microsecond=0)

    @property
    def sidecar(self) -> Path:
        """``<dump>.sha256`` beside the dump (``sha256sum -c`` reads it)."""
        return self.path.parent / (self.path.name + ".sha256")

    @property
    def sha256_recorded(self) -> bool:
        """The ``.sha256`` file is there and the manifest carries the digest."""
        return self.sidecar.is_file() and bool(self.manifest and self.manifest.sha256)

    @property
    def sha256_matches(self) -> bool:
        """The file's sha256 now equals the ``.sha256`` sidecar and the manifest."""
        if not (self.exists and self.sha256_recorded and self.manifest):
            return False
        digest, listing = sha256_of(self.path)
        return digest == self.manifest.sha256 and listing.strip() == self.sidecar.read_text().strip()

    @cached_property
    def toc(self) -> tuple[int, str]:
        """``pg_restore --list``: exit code and output."""
        proc = subprocess.run([self.pg_restore, "--list", str(self.path)], capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout if proc.returncode == 0 else proc.stderr

    @property
    def is_readable(self) -> bool:
        """``pg_restore --list`` reads its table of contents."""
        return self.exists and self.toc[0] == 0

    def listed_tables(self) -> set[str]:
        """Tables whose data the dump holds (``TABLE DATA`` entries of its TOC)."""
        if not self.is_readable:
            return set()
        tables = set()
        for line in self.toc[1].splitlines():
            match = _TOC_DATA.match(line)
            if match:
                schema, name = match.groups()
                tables.add(name if schema == "public" else f"{schema}.{name}")
        return tables

    @property
    def pre_snapshot(self) -> Snapshot | None:
        """The snapshot taken in the dump's exported snapshot (``None`` when missing)."""
        if self.pre_snapshot_path is None or not self.pre_snapshot_path.exists():
            return None
        return Snapshot.load(self.pre_snapshot_path)

    def missing_tables(self, expected: set[str] | None = None) -> list[str]:
        """Tables of the database at backup time (or ``expected``) without data in the dump."""
        if expected is None:
            snap = self.pre_snapshot
            expected = set(snap.tables) if snap else set()
        return sorted(expected - self.listed_tables())

    def lists_every_table(self, expected: set[str] | None = None) -> bool:
        """``pg_restore --list`` reads it and every expected table has a ``TABLE DATA`` entry."""
        return self.is_readable and not self.missing_tables(expected) and bool(expected or self.pre_snapshot)

    def _pg_restore(self, dsn: str, *args: str) -> subprocess.Popen[str]:
        env = {**os.environ, **libpq_env(dsn)}
        argv = [self.pg_restore, "--no-owner", "--no-acl", "--exit-on-error", "--no-password",
                "-d", libpq_env(dsn)["PGDATABASE"], *args, str(self.path)]
        return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    @staticmethod
    def _finish(proc: subprocess.Popen[str], what: str) -> str:
        _, stderr = proc.communicate()
        return "" if proc.returncode == 0 else f"pg_restore {what} exit {proc.returncode}: {stderr.strip()[-1500:]}"

    def restore(self, pg: DisposablePostgres, database: str | None = None) -> tuple[str, str]:
        """Restore into a new database of the disposable server ``pg``: ``(dsn, error)``."""
        name = database or f"restore_{secrets.token_hex(4)}"
        dsn = pg.create_database(name)
        return dsn, self._finish(self._pg_restore(dsn, "-j", str(self.jobs)), "")

    def restores_into(self, pg: DisposablePostgres, expected: Snapshot | None = None, keep: bool = False) -> RestoreResult:
        """Restore into ``pg`` and compare its fingerprint with the snapshot taken at backup time.

        The restore runs by section: pre-data, data, then post-data (indexes, constraints)
        while the restored tables' contents are hashed (content needs no index); the schema
        fingerprint is taken once post-data is done.
        """
        from gate.db.fingerprint import applied_migrations, schema_fingerprint, table_stats
        from gate.db.readonly import connect_readonly

        expected = expected or self.pre_snapshot
        if expected is None:
            return RestoreResult(False, error="no pre-migration snapshot recorded for this backup")
        if not self.exists:
            return RestoreResult(False, error=f"{self.path} does not exist")
        name = f"restore_{secrets.token_hex(4)}"
        dsn = pg.create_database(name)
        try:
            for section, jobs in (("pre-data", "1"), ("data", str(self.jobs))):
                error = self._finish(self._pg_restore(dsn, "--section", section, "-j", jobs), section)
                if error:
                    return RestoreResult(False, name, error=error)
            post = self._pg_restore(dsn, "--section", "post-data", "-j", str(self.jobs))
            with connect_readonly(dsn) as conn:
                content = table_stats(conn)
            error = self._finish(post, "post-data")
            if error:
                return RestoreResult(False, name, error=error)
            with connect_readonly(dsn) as conn:
                restored = Snapshot(
                    f"restored:{name}", schema_fingerprint(conn), tuple(applied_migrations(conn)), content,
                    int(conn.info.server_version), datetime.now(UTC).isoformat(),
                )
            differences = tuple(expected.diff(restored))
            return RestoreResult(not differences, name, differences, restored=restored)
        finally:
            if not keep:
                pg.drop_database(name)

