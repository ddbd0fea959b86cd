"""The gate's backup step: ``pg_dump`` and the pre-migration snapshot from one exported snapshot.

The target may still be written to while the backup runs. A ``REPEATABLE READ`` transaction
exports its snapshot (``pg_export_snapshot()``); ``pg_dump --snapshot=<id>`` dumps exactly
that view while the same transaction fingerprints every table, so the dump and the
pre-migration snapshot are the same data. The step refuses to start when the backup
directory's disk has less than ``BACKUP_MIN_FREE_FACTOR`` (2) × the database size free.

>>> manifest = take_backup(settings, run)     # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from gate.backup.manifest import PRE_SNAPSHOT, BackupManifest
from gate.db.fingerprint import database_size
from gate.db.readonly import connect_readonly
from gate.db.snapshot import take_snapshot
from gate.run import Run
from gate.settings import Settings, dsn_without_password


class BackupRefused(RuntimeError):
    """The backup step would not start (e.g. not enough free disk); nothing was written."""


def remove_partial(path: Path) -> str:
    """Delete what a failed ``pg_dump`` left (a partial file or directory); a note for the error message.

    >>> import tempfile; p = Path(tempfile.mkdtemp()) / "x.dump"; _ = p.write_bytes(b"PGDMP")
    >>> remove_partial(p).strip(), p.exists()
    ('(the partial x.dump was removed)', False)
    """
    if not path.exists():
        return ""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    return f" (the partial {path.name} was removed)"


class BackupFailed(RuntimeError):
    """``pg_dump`` failed; the message carries its exit code and stderr tail."""


def backup_name(at: datetime | None = None, fmt: str = "custom") -> str:
    """The runbook's file name: ``backup_pre_migration_YYYYMMDD_HHMMSS.dump``.

    >>> backup_name(datetime(2026, 1, 24, 2, 2, 0))
    'backup_pre_migration_20260124_020200.dump'
    """
    stamp = (at or datetime.now()).strftime("%Y%m%d_%H%M%S")
    return f"backup_pre_migration_{stamp}." + ("dump" if fmt == "custom" else "dumpdir")


def dump_format(settings: Settings, db_size: int) -> str:
    """``custom`` (``-Fc``, one file) or ``directory`` (``-Fd -j BACKUP_JOBS``): ``BACKUP_FORMAT``, or
    with ``auto`` by the database's size (``BACKUP_DIRECTORY_FROM_BYTES``): a big database dumps
    its tables in parallel and compresses them on every core; a small one stays one file.

    >>> from gate.settings import load_settings
    >>> s = load_settings(environ={"DATABASE_URL": "postgresql://u@db/x"}, env_file=None)
    >>> dump_format(s, 10 << 20), dump_format(s, 4 << 30)
    ('custom', 'directory')
    """
    if settings.backup_format != "auto":
        return settings.backup_format
    return "directory" if db_size >= settings.backup_directory_from_bytes else "custom"


def free_bytes(settings: Settings) -> int:
    """Free bytes where the backup goes (``BACKUP_FREE_BYTES`` overrides, for tests and rehearsals)."""
    if settings.backup_free_bytes is not None:
        return settings.backup_free_bytes
    settings.backup_dir.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(settings.backup_dir).free


def sha256_of(path: Path) -> tuple[str, str]:
    """``(digest, sha256sum-format listing)`` of a file, or of every file of a directory dump."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    lines = []
    for f in files:
        with f.open("rb") as fh:
            lines.append(f"{hashlib.file_digest(fh, 'sha256').hexdigest()}  {f.relative_to(path.parent)}")
    listing = "\n".join(lines) + "\n"
    digest = lines[0].split()[0] if not path.is_dir() else hashlib.sha256(listing.encode()).hexdigest()
    return digest, listing


def pg_dump_version(settings: Settings) -> str:
    """``pg_dump --version`` of the configured client."""
    out = subprocess.run([settings.tool("pg_dump"), "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip()


def take_backup(
    settings: Settings,
    run: Run,
    consistent: bool = True,
    extra_args: tuple[str, ...] = (),
    between: Callable[[], None] | None = None,
) -> BackupManifest:
    """Dump the target into ``BACKUP_DIR`` and snapshot it in the same exported snapshot.

    ``consistent=False`` (self-tests only) lets ``pg_dump`` take its own snapshot, as a
    careless script would; ``between`` runs after the pre-migration snapshot's view is fixed
    and before ``pg_dump`` starts (self-tests write there); ``extra_args`` go to ``pg_dump``.
    """
    settings.backup_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    t0 = time.monotonic()
    stamp = datetime.now()
    base = {
        "run_id": run.run_id,
        "started_at": started.isoformat(), "min_free_factor": settings.backup_min_free_factor,
        "pg_dump_version": pg_dump_version(settings), "target": settings.target, "consistent": consistent,
    }
    with connect_readonly(settings.dsn(), autocommit=False) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            size = database_size(conn)
            free = free_bytes(settings)
            fmt = dump_format(settings, size)
            path = settings.backup_dir / backup_name(stamp, fmt)
            base.update(path=str(path), format=fmt, db_size_bytes=size, free_bytes=free)
            if free < settings.backup_min_free_factor * size:
                reason = (f"refused: {free} bytes free in {settings.backup_dir}, need "
                          f"{settings.backup_min_free_factor:g} × database size {size} = "
                          f"{int(settings.backup_min_free_factor * size)}")
                BackupManifest(**base, refused=reason).save(run.dir)  # type: ignore[arg-type]
                raise BackupRefused(reason)
            row = conn.execute("SELECT pg_export_snapshot()").fetchone()
            snapshot_id = str(row[0]) if row else ""
            if not consistent:
                pre = take_snapshot(conn, settings.target, volatile=settings.volatile_map)
            if between is not None:
                between()
            argv = [settings.tool("pg_dump"), "--no-password", "-f", str(path),
                    "-d", dsn_without_password(settings.dsn()), *extra_args]
            if consistent:
                argv.append(f"--snapshot={snapshot_id}")
            if fmt == "directory":
                argv += ["-Fd", "-j", str(settings.backup_jobs)]
            else:
                argv += ["-Fc"]
            env = {**os.environ, **settings.libpq_env(), "PGAPPNAME": "freesport-gate-backup"}
            stderr_path = run.dir / "pg_dump.stderr"
            with stderr_path.open("w") as stderr:
                proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
                if consistent:
                    pre = take_snapshot(conn, settings.target, pg_snapshot_id=snapshot_id,
                                        volatile=settings.volatile_map)
                rc = proc.wait()
    pre.save(run.dir / PRE_SNAPSHOT)
    if rc != 0:
        tail = stderr_path.read_text()[-2000:]
        removed = remove_partial(path)
        BackupManifest(**base, pg_snapshot_id=snapshot_id, error=f"pg_dump exit {rc}: {tail}{removed}").save(run.dir)  # type: ignore[arg-type]
        raise BackupFailed(f"pg_dump exit {rc}: {tail}{removed}")
    digest, listing = sha256_of(path)
    sidecar = path.parent / (path.name + ".sha256")
    sidecar.write_text(listing)
    size_bytes = sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size
    manifest = BackupManifest(
        **base,  # type: ignore[arg-type]
        sha256=digest, sha256_file=str(sidecar), size_bytes=size_bytes,
        pg_snapshot_id=snapshot_id if consistent else "",
        finished_at=datetime.now(UTC).isoformat(), duration_s=round(time.monotonic() - t0, 3),
    )
    manifest.save(run.dir)
    return manifest
