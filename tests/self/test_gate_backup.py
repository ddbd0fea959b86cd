"""BKP-01..04 and the backup step, each shown failing on the fault it exists to catch."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest

from gate.backup import Backup, BackupRefused, take_backup
from gate.run import Run
from gate.settings import load_settings

REPO = Path(__file__).resolve().parents[2]


def backup_of(env: dict[str, str], **overrides: str):
    settings = load_settings(environ={**env, **overrides}, env_file=None)
    run = Run.open(settings.run_dir, settings.run_id, settings.runs_root)
    return settings, run


def test_consistent_backup_holds_every_fact_while_the_application_writes(gate_env, gate_db, gate_pg):
    settings, run = backup_of(gate_env)
    stop = threading.Event()
    written = []

    def writer() -> None:
        with psycopg.connect(gate_db.dsn, autocommit=True) as conn:
            while not stop.is_set():
                conn.execute("INSERT INTO orders (number, total) VALUES (gen_random_uuid()::text, 1)")
                written.append(1)
                time.sleep(0.002)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.05)
        manifest = take_backup(settings, run, between=lambda: time.sleep(0.2))
    finally:
        stop.set()
        thread.join()
    assert len(written) > 20, "the writer did not overlap the backup"
    backup = Backup.of_run(run)
    assert manifest.pg_snapshot_id and manifest.refused is None
    assert Path(manifest.path).name.startswith("backup_pre_migration_") and manifest.path.endswith(".dump")
    assert backup.exists and not backup.is_empty and backup.is_from_run(run)
    assert backup.sha256_recorded and backup.sha256_matches
    assert backup.lists_every_table()
    assert backup.restores_into(gate_pg)
    check = subprocess.run(["sha256sum", "-c", backup.sidecar.name], cwd=backup.path.parent,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_table_changed_between_snapshot_and_dump_is_caught_by_bkp04(gate_env, gate_db, gate_pg):
    settings, run = backup_of(gate_env)
    take_backup(settings, run, consistent=False,
                between=lambda: gate_db.execute("UPDATE users SET email = 'x' || email WHERE id = 3"))
    result = Backup.of_run(run).restores_into(gate_pg)
    assert not result
    assert result.differences == ("users: content hash differs",)


def test_consistent_backup_is_immune_to_the_same_write(gate_env, gate_db, gate_pg):
    settings, run = backup_of(gate_env)
    take_backup(settings, run, between=lambda: gate_db.execute("UPDATE users SET email = 'x' || email WHERE id = 3"))
    assert Backup.of_run(run).restores_into(gate_pg)


def test_dump_truncated_by_one_byte_fails_sha256_and_restore(gate_env, gate_pg):
    settings, run = backup_of(gate_env)
    manifest = take_backup(settings, run)
    path = Path(manifest.path)
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size - 1)
    backup = Backup.of_run(run)
    assert backup.exists
    assert not backup.sha256_matches
    result = backup.restores_into(gate_pg)
    assert not result and "pg_restore" in result.error


def test_sha256_mismatch_is_caught(gate_env):
    settings, run = backup_of(gate_env)
    take_backup(settings, run)
    backup = Backup.of_run(run)
    backup.sidecar.write_text("0" * 64 + "  " + backup.path.name + "\n")
    assert backup.sha256_recorded and not backup.sha256_matches


def test_missing_sha256_file_is_caught(gate_env):
    settings, run = backup_of(gate_env)
    take_backup(settings, run)
    backup = Backup.of_run(run)
    backup.sidecar.unlink()
    assert not backup.sha256_recorded and not backup.sha256_matches


def test_table_missing_from_the_dump_is_caught_by_bkp02_and_bkp04(gate_env, gate_pg):
    settings, run = backup_of(gate_env)
    take_backup(settings, run, extra_args=("--exclude-table-data=order_items",))
    backup = Backup.of_run(run)
    assert backup.is_readable
    assert backup.missing_tables() == ["order_items"]
    assert not backup.lists_every_table()
    result = backup.restores_into(gate_pg)
    assert not result and "order_items: rows 80 → 0" in result.differences


def test_stale_dump_from_an_earlier_run_is_not_this_runs(gate_env, tmp_path):
    settings, earlier = backup_of(gate_env, RUN_DIR=str(tmp_path / "earlier"))
    take_backup(settings, earlier)
    _, current = backup_of(gate_env, RUN_DIR=str(tmp_path / "current"))
    (current.dir / "backup.json").write_text((earlier.dir / "backup.json").read_text())
    (current.dir / "pre_snapshot.json").write_text((earlier.dir / "pre_snapshot.json").read_text())
    stale = Backup.of_run(current)
    assert stale.exists and stale.sha256_matches
    assert not stale.is_from_run(current)
    assert Backup.of_run(earlier).is_from_run(earlier)


def test_too_little_disk_refuses_the_backup(gate_env):
    settings, run = backup_of(gate_env, BACKUP_FREE_BYTES="1000")
    with pytest.raises(BackupRefused, match="need 2 × database size"):
        take_backup(settings, run)
    backup = Backup.of_run(run)
    assert backup.manifest.refused and not backup.manifest.disk_had_room
    assert not backup.exists
    assert not list(Path(gate_env["BACKUP_DIR"]).glob("*.dump"))


def test_auto_format_follows_the_database_size(gate_env):
    """BACKUP_FORMAT=auto (the default): one -Fc file below BACKUP_DIRECTORY_FROM_BYTES, -Fd from it."""
    small, run = backup_of(gate_env)
    assert take_backup(small, run).format == "custom"
    big, run = backup_of(gate_env, BACKUP_DIRECTORY_FROM_BYTES="0")
    manifest = take_backup(big, run)
    assert manifest.format == "directory" and manifest.path.endswith(".dumpdir")
    assert Backup.of_run(run).lists_every_table()


def test_directory_format_with_parallel_jobs_restores(gate_env, gate_pg):
    settings, run = backup_of(gate_env, BACKUP_FORMAT="directory", BACKUP_JOBS="2")
    manifest = take_backup(settings, run)
    backup = Backup.of_run(run)
    assert manifest.path.endswith(".dumpdir") and backup.exists
    assert backup.sha256_matches and backup.lists_every_table()
    assert backup.restores_into(gate_pg)
    (next(p for p in backup.path.iterdir() if p.name != "toc.dat")).write_bytes(b"corrupt")
    assert not backup.sha256_matches


def test_backup_script_standalone_writes_dump_and_sha256_without_printing_the_password(gate_db, gate_pg, tmp_path):
    password = "Scr1pt-Passw0rd-7d3f"
    gate_db.execute(f"CREATE ROLE script_user LOGIN PASSWORD '{password}'; "
                    f"GRANT CONNECT ON DATABASE {gate_db.name} TO script_user")
    gate_db.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO script_user; "
                    "GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO script_user")
    url = gate_pg.get_connection_url(dbname=gate_db.name).replace(
        f"{gate_pg.user}:{gate_pg.password}@", f"script_user:{password}@")
    env = {**os.environ, "DATABASE_URL": url, "BACKUP_DIR": str(tmp_path / "b")}
    proc = subprocess.run([str(REPO / "scripts/deploy/backup_production_db.sh")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert password not in proc.stdout + proc.stderr
    dumps = list((tmp_path / "b").glob("backup_pre_migration_*.dump"))
    assert len(dumps) == 1
    check = subprocess.run(["sha256sum", "-c", dumps[0].name + ".sha256"], cwd=tmp_path / "b",
                           capture_output=True, text=True)
    assert check.returncode == 0
    refused = subprocess.run([str(REPO / "scripts/deploy/backup_production_db.sh")],
                             env={**env, "BACKUP_MIN_FREE_FACTOR": "1e15"}, capture_output=True, text=True)
    assert refused.returncode == 3 and "refused" in refused.stderr
