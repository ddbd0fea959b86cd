"""The rollback script and RBK-01..03, each shown refusing or failing on the fault it exists to catch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from gate.backup import take_backup
from gate.db.snapshot import Snapshot, snapshot_of
from gate.rollback import RollbackRecord, run_rollback_script
from gate.run import Run
from gate.settings import load_settings

REPO = Path(__file__).resolve().parents[2]


def _backup(env: dict[str, str]) -> tuple[Path, Run]:
    settings = load_settings(environ=env, env_file=None)
    run = Run.open(settings.run_dir, settings.run_id, settings.runs_root)
    return Path(take_backup(settings, run).path), run


def _script_env(env: dict[str, str], **extra: str) -> dict[str, str]:
    """The rollback's settings: nothing to stop, start or check out in a self-test."""
    return {
        "DATABASE_URL": env["DATABASE_URL"], "RUN_DIR": env["RUN_DIR"], "APP_STOP_CMD": ":", "APP_START_CMD": ":",
        "CHECKOUT_CMD": ":", "ROLLBACK_KEEP_OLD": "no", **extra,
    }


def _window_damage(dsn: str) -> None:
    """What a failed window leaves: a dropped column, a new table, lost order items."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ALTER TABLE products DROP COLUMN retail_price")
        conn.execute("CREATE TABLE product_variants (id serial PRIMARY KEY, sku text)")
        conn.execute("DELETE FROM order_items WHERE id % 2 = 0")
        conn.execute("INSERT INTO django_migrations (app, name) VALUES ('products', '0004_remove')")


@pytest.fixture
def window(gate_env: dict[str, str]) -> tuple[Path, Run, Snapshot]:
    """A backup of the synthetic shop and its pre-migration snapshot, then the window's damage."""
    dump, run = _backup(gate_env)
    pre = Snapshot.load(run.dir / "pre_snapshot.json")
    _window_damage(gate_env["DATABASE_URL"])
    return dump, run, pre


def _unchanged(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT to_regclass('product_variants') IS NOT NULL").fetchone()
    return bool(row and row[0])


def test_rollback_restores_the_pre_migration_state(gate_env, window):
    dump, run, pre = window
    outcome = run_rollback_script(dump, _script_env(gate_env))
    assert outcome.exit_code == 0, outcome.output
    assert pre.diff(snapshot_of(gate_env["DATABASE_URL"], "after")) == []
    record = RollbackRecord.of_run(run.dir)
    assert record is not None and record.completed and record.within(900)
    assert set(record.phase_durations()) == {"restore", "swap"}
    assert set(record.skipped()) == {"stop", "checkout", "start", "maintenance_off"}, record.data
    assert "postgresql://" not in outcome.output and gate_env["DATABASE_URL"].split("@")[0] not in outcome.output


def test_rollback_restores_a_directory_dump_too(gate_env):
    """BACKUP_FORMAT=auto picks the directory format for a big database: the script verifies its
    per-file sha256 listing and restores it with parallel jobs."""
    dump, run = _backup({**gate_env, "BACKUP_DIRECTORY_FROM_BYTES": "0"})
    assert dump.is_dir() and dump.suffix == ".dumpdir"
    pre = Snapshot.load(run.dir / "pre_snapshot.json")
    _window_damage(gate_env["DATABASE_URL"])
    outcome = run_rollback_script(dump, _script_env(gate_env, ROLLBACK_JOBS="2"))
    assert outcome.exit_code == 0, outcome.output
    assert pre.diff(snapshot_of(gate_env["DATABASE_URL"], "after")) == []


def test_rollback_recreate_mode_restores_too(gate_env, window):
    dump, _, pre = window
    outcome = run_rollback_script(dump, _script_env(gate_env, ROLLBACK_RESTORE_MODE="recreate"))
    assert outcome.exit_code == 0, outcome.output
    assert pre.diff(snapshot_of(gate_env["DATABASE_URL"], "after")) == []


def test_refuses_without_confirmation(gate_env, window):
    dump, run, _ = window
    outcome = run_rollback_script(dump, _script_env(gate_env), confirm=False)
    assert outcome.refused, outcome.output
    assert "no confirmation" in outcome.output and "nothing was changed" in outcome.output
    assert _unchanged(gate_env["DATABASE_URL"])
    assert RollbackRecord.of_run(run.dir) is None


def test_refuses_a_dump_whose_sha256_does_not_match(gate_env, window):
    dump, _, _ = window
    with dump.open("r+b") as fh:
        fh.seek(dump.stat().st_size // 2)
        fh.write(b"\0\0\0\0")
    outcome = run_rollback_script(dump, _script_env(gate_env))
    assert outcome.refused and "sha256 differs" in outcome.output, outcome.output
    assert _unchanged(gate_env["DATABASE_URL"])


def test_refuses_a_dump_without_its_sha256_file(gate_env, window):
    dump, _, _ = window
    Path(f"{dump}.sha256").unlink()
    outcome = run_rollback_script(dump, _script_env(gate_env))
    assert outcome.refused and ".sha256" in outcome.output, outcome.output


def test_refuses_a_dump_this_window_did_not_make(gate_env, window, tmp_path):
    dump, _, _ = window
    foreign_dir = tmp_path / "elsewhere"
    foreign_dir.mkdir()
    foreign = foreign_dir / dump.name
    shutil.copy(dump, foreign)
    subprocess.run(f"sha256sum {foreign.name} > {foreign.name}.sha256", shell=True, cwd=foreign_dir, check=True)
    outcome = run_rollback_script(foreign, _script_env(gate_env))
    assert outcome.refused and "not this window's backup" in outcome.output, outcome.output
    assert _unchanged(gate_env["DATABASE_URL"])


def test_refuses_a_dump_from_an_earlier_run(gate_env, window, tmp_path):
    dump, _, _ = window
    later = tmp_path / "later-run"
    later.mkdir()
    outcome = run_rollback_script(dump, _script_env(gate_env, RUN_DIR=str(later)))
    assert outcome.refused and "no backup manifest" in outcome.output, outcome.output


def test_a_failed_restore_leaves_the_database_as_the_window_left_it(gate_env, window):
    dump, run, _ = window
    outcome = run_rollback_script(dump, _script_env(gate_env, ROLLBACK_RESTORE_ARGS="--no-such-option"))
    assert outcome.exit_code == 3, outcome.output
    assert "database state: unchanged" in outcome.output and "to continue:" in outcome.output
    assert _unchanged(gate_env["DATABASE_URL"])
    record = RollbackRecord.of_run(run.dir)
    assert record is not None and record.failed_phase == "restore" and not record.completed


def test_steps_not_configured_are_skipped_said_and_never_claimed(gate_env, window):
    """Issue 11: APP_STOP_CMD ':' / APP_START_CMD '' / CHECKOUT_CMD ':' are skipped, said so in the output and
    the record; a rollback that restored every row exits 0; a failure never says the application is STOPPED
    when nothing stopped it."""
    dump, run, pre = window
    outcome = run_rollback_script(dump, _script_env(gate_env, APP_START_CMD=""))
    assert outcome.exit_code == 0, outcome.output
    assert pre.diff(snapshot_of(gate_env["DATABASE_URL"], "after")) == []
    for said in ("SKIPPED stopping the application: APP_STOP_CMD is ':'", "SKIPPED checking out v13.3.0",
                 "SKIPPED starting the application: APP_START_CMD is ''"):
        assert said in outcome.output, outcome.output
    record = RollbackRecord.of_run(run.dir)
    assert record is not None and record.completed
    assert "not configured" in record.skipped()["start"] and "CHECKOUT_CMD" in record.skipped()["checkout"]
    assert "application started" not in record.db_state and "NOT checked out" in record.db_state, record.db_state
    assert "skipped: stop (APP_STOP_CMD" in record.describe()
    _window_damage(gate_env["DATABASE_URL"])
    failed = run_rollback_script(dump, _script_env(gate_env, ROLLBACK_RESTORE_ARGS="--no-such-option"))
    assert failed.exit_code == 3, failed.output
    assert "STOPPED" not in failed.output and "NOT stopped by this script" in failed.output, failed.output


def _release_repo(path: Path) -> tuple[str, str]:
    """A deployment's code whose releases are commits (no tags): (previous commit, current commit)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, check=True,
                              env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
                                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}).stdout.strip()
    path.mkdir()
    git("init", "-q")
    (path / "release.txt").write_text("v13.3\n")
    git("add", "release.txt")
    git("commit", "-q", "-m", "v13.3")
    previous = git("rev-parse", "HEAD")
    (path / "release.txt").write_text("v13.4\n")
    git("commit", "-q", "-am", "v13.4")
    return previous, git("rev-parse", "HEAD")


def test_default_checkout_works_for_releases_identified_by_commit(gate_env, window, tmp_path, monkeypatch):
    """The default CHECKOUT_CMD checks out PREVIOUS_RELEASE_COMMIT (or a commit given as PREVIOUS_RELEASE_TAG) in a
    repository without tags: exit 0, the code at the previous commit. A ref that is neither is refused before the
    database changes, naming the settings (never a restore followed by exit 5)."""
    monkeypatch.delenv("CHECKOUT_CMD", raising=False)
    dump, run, pre = window
    code = tmp_path / "code"
    previous, current = _release_repo(code)
    env = {k: v for k, v in _script_env(gate_env, BACKEND_DIR=str(code)).items() if k != "CHECKOUT_CMD"}
    refused = run_rollback_script(dump, env)  # PREVIOUS_RELEASE_TAG defaults to v13.3.0: no such tag here
    assert refused.exit_code == 2, refused.output
    assert "PREVIOUS_RELEASE_TAG=v13.3.0 is no tag or commit" in refused.output
    assert "PREVIOUS_RELEASE_COMMIT" in refused.output and "nothing was changed" in refused.output
    assert _unchanged(gate_env["DATABASE_URL"])
    outcome = run_rollback_script(dump, {**env, "PREVIOUS_RELEASE_COMMIT": previous})
    assert outcome.exit_code == 0, outcome.output
    assert pre.diff(snapshot_of(gate_env["DATABASE_URL"], "after")) == []
    assert (code / "release.txt").read_text() == "v13.3\n" and f"checking out {previous}" in outcome.output
    record = RollbackRecord.of_run(run.dir)
    assert record is not None and record.completed and "checkout" in record.phase_durations()
    assert record.data["previous_release_commit"] == previous and f"code at {previous}" in record.db_state
    subprocess.run(["git", "-C", str(code), "checkout", "-q", current], check=True)
    _window_damage(gate_env["DATABASE_URL"])
    by_tag = run_rollback_script(dump, {**env, "PREVIOUS_RELEASE_TAG": previous[:12]})
    assert by_tag.exit_code == 0, by_tag.output
    assert (code / "release.txt").read_text() == "v13.3\n"


def test_a_failed_start_says_the_database_is_restored(gate_env, window):
    dump, run, pre = window
    outcome = run_rollback_script(dump, _script_env(gate_env, APP_START_CMD="exit 7"))
    assert outcome.exit_code == 5, outcome.output
    assert "database state: restored" in outcome.output and "did NOT start" in outcome.output
    assert pre.diff(snapshot_of(gate_env["DATABASE_URL"], "after")) == []
    record = RollbackRecord.of_run(run.dir)
    assert record is not None and record.failed_phase == "start"


def _gate(env: dict[str, str], check: str, **extra: str) -> dict[str, object]:
    """Run the gate on one rollback check; its row of summary.json."""
    full = {**os.environ, **env, **extra}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/rollback", "--check", check],
        cwd=REPO, env=full, capture_output=True, text=True, check=False,
    )
    summary = json.loads((Path(env["RUN_DIR"]) / "summary.json").read_text())
    rows = {row["id"]: row for row in summary["checks"]}
    assert check in rows, proc.stdout[-3000:]
    return rows[check]


def test_rbk01_fails_when_one_row_differs_after_rollback(gate_env, window):
    dump, _, _ = window
    assert run_rollback_script(dump, _script_env(gate_env)).exit_code == 0
    with psycopg.connect(gate_env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("UPDATE order_items SET quantity = quantity + 1 WHERE id = 17")
    row = _gate(gate_env, "RBK-01")
    assert row["outcome"] == "failed" and "order_items: content hash differs" in str(row["message"]), row


def test_rbk01_and_rbk02_pass_after_a_clean_rollback(gate_env, window):
    dump, _, _ = window
    assert run_rollback_script(dump, _script_env(gate_env)).exit_code == 0
    assert _gate(gate_env, "RBK-01")["outcome"] == "passed"
    assert _gate(gate_env, "RBK-02")["outcome"] == "passed"


def test_rbk03_fails_when_the_application_does_not_serve(gate_env, window):
    dump, _, _ = window
    assert run_rollback_script(dump, _script_env(gate_env)).exit_code == 0
    from disposable_pg.local import free_port

    row = _gate(gate_env, "RBK-03", BASE_URL=f"http://127.0.0.1:{free_port()}",
               ROLLBACK_SMOKE_WAIT_S="0")
    assert row["outcome"] == "failed" and "no answer" in str(row["message"]), row


def test_rollback_checks_skip_when_no_rollback_ran(gate_env):
    _backup(gate_env)
    row = _gate(gate_env, "RBK-02")
    assert row["outcome"] == "skipped" and "no rollback ran" in str(row["message"])


def test_sessions_left_on_the_database_do_not_block_the_swap(gate_env, window):
    dump, _, pre = window
    idle = psycopg.connect(gate_env["DATABASE_URL"], autocommit=True)
    try:
        outcome = run_rollback_script(dump, _script_env(gate_env))
    finally:
        idle.close()
    assert outcome.exit_code == 0, outcome.output
    assert pre.diff(snapshot_of(gate_env["DATABASE_URL"], "after")) == []


def test_maintenance_left_on_is_a_failed_rollback(gate_env, window):
    dump, run, _ = window
    outcome = run_rollback_script(dump, _script_env(gate_env, MAINTENANCE_OFF_CMD="exit 1"))
    assert outcome.exit_code == 5 and "still in MAINTENANCE" in outcome.output, outcome.output
    record = RollbackRecord.of_run(run.dir)
    assert record is not None and record.failed_phase == "maintenance_off"


def test_refuses_a_backup_taken_after_the_release_began_unless_told(gate_env):
    """Issue 14: a second window backed up the flushed, migrated state; that dump is no way back."""
    with psycopg.connect(gate_env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("INSERT INTO django_migrations (app, name, applied) "
                     "VALUES ('products', '0004_remove_product_per_sku_fields', now())")
    dump, _ = _backup(gate_env)
    outcome = run_rollback_script(dump, _script_env(gate_env))
    assert outcome.exit_code == 2, outcome.output
    assert "no pre-migration backup" in outcome.output and "0004_remove_product_per_sku_fields" in outcome.output
    accepted = run_rollback_script(dump, _script_env(gate_env, ROLLBACK_ACCEPT_BACKUP_STATE="yes"))
    assert accepted.exit_code == 0, accepted.output
    assert "restoring it as told" in accepted.output


def test_the_way_back_is_the_backup_of_the_run_that_started_migrate(tmp_path):
    from gate.rollback.backup_state import pick

    first, later = tmp_path / "20261204T020000Z-aaaa", tmp_path / "20261204T030000Z-bbbb"
    for run_dir, steps in ((first, ["backup", "maintenance_on", "migrate", "flush", "import"]), (later, ["backup"])):
        run_dir.mkdir()
        (run_dir / "backup.json").write_text("{}")
        (run_dir / "journal.jsonl").write_text("".join(json.dumps({"name": s, "event": "start"}) + "\n" for s in steps))
    os.utime(first / "backup.json", (1, 1))
    assert pick(tmp_path) == first
