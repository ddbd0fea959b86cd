"""MIG-05: the release's migrations tried on a restored copy of this run's backup, before the point of no return.

One scratch target (disposable PostgreSQL, the bundled backend at v13.3, gunicorn) for the module:

- a release whose ``RunPython`` migration deletes orders (the rehearsal's ``migration-deletes-orders``
  patch, on a copy of the backend) is NO-GO before ``migrate``: MIG-05 names that migration and
  what it did to ``orders`` on the copy, MIG-01 and MIG-03 ran beside it, and nothing on the target
  changed (protected tables and applied migrations identical, the migrate step never started); the
  window started ONE disposable server for BKP-04 and MIG-05 and left nothing running;
  MIG-05's copy there is BKP-04's kept restore (``CREATE DATABASE … TEMPLATE``), and it still finds the deletion;
- the healthy release passes MIG-05 on a copy of the same kind of backup, with its trial recorded
  (one ``manage.py`` process for all migrations, its start-up in the forecast); run apart from the
  backup (no shared server left), the copy is restored from the backup again;
- a ``TRIAL_MANAGE_CMD`` that does not forward stdin falls back to one process per migration, with
  the same findings;
- a handoff that misses the copy (the wrapper ignores the variable named) refuses to run anything;
- the copy migrates its own plan ahead (``migrate_ahead``, before the target's plan is known), one by
  one by name or all at once; ``run_trial`` takes those runs when the target's plan is the copy's, and
  tries the target's plan on a fresh copy when it is not; a handoff naming another database runs
  nothing ahead there.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import psutil
import psycopg
import pytest

from disposable_pg import disposable_postgres
from disposable_pg.local import REGISTRY, pid_alive
from gate.backup import Backup
from gate.db.readonly import server_major
from gate.db.snapshot import snapshot_of
from gate.migrations.trial import TrialRefused, migrate_ahead, prepare_trial, run_trial
from gate.run import Run
from gate.settings import Settings, load_settings, read_env_file
from rehearse import faults
from rehearse.backend import PYTHON, manage_script
from rehearse.scratch import scratch_target

REPO = Path(__file__).resolve().parents[2]
PROTECTED = ["orders", "order_items", "cart_items", "users"]


def _env(env_file: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, "ENV_FILE": str(env_file), "GATE_LIVE": "0", "PYTHONPATH": str(REPO), **extra}
    for key in ("RUN_ID",) if "RUN_DIR" in extra else ("RUN_DIR", "RUN_ID"):
        env.pop(key, None)
    return env


def window(env_file: Path, *args: str, extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "gate.window", *args], cwd=REPO, env=_env(env_file, extra),
                          capture_output=True, text=True, timeout=900)


def window_watching_servers(env_file: Path, *args: str, extra: dict[str, str]) -> tuple[int, str, dict[Path, int]]:
    """Run the window; meanwhile note every local disposable cluster (``REGISTRY/pg-*``) that the window's
    process or one of its descendants owns, with its postmaster's pid. Returns (exit code, output, clusters)."""
    with subprocess.Popen([PYTHON, "-m", "gate.window", *args], cwd=REPO, env=_env(env_file, extra),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        seen: dict[Path, int] = {}
        done = threading.Event()

        def watch() -> None:
            window_process = psutil.Process(proc.pid)
            while not done.is_set():
                with contextlib.suppress(psutil.Error):
                    ours = {proc.pid, *(c.pid for c in window_process.children(recursive=True))}
                    for owner in REGISTRY.glob("pg-*/owner.pid"):
                        with contextlib.suppress(OSError, ValueError, IndexError):
                            if int(owner.read_text()) in ours:
                                seen.setdefault(owner.parent, 0)
                                postmaster = owner.parent / "data" / "postmaster.pid"
                                if not seen[owner.parent] and postmaster.exists():
                                    seen[owner.parent] = int(postmaster.read_text().split()[0])
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        out, _ = proc.communicate(timeout=900)
        done.set()
        watcher.join()
    return proc.returncode, out, seen


def wrapper(path: Path, backend_env: Path, backend: Path, honours_copy: bool = True) -> Path:
    """A deployment's own manage.py wrapper: sources its env file, runs the release's code."""
    return manage_script(path, env_file=backend_env, cwd=backend, honours_copy=honours_copy)


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    """(env file, values, work dir) of a v13.3 scratch target."""
    directory = tmp_path_factory.mktemp("mig05")
    with scratch_target(directory, pg_choice=os.environ.get("DISPOSABLE_PG", "local")) as env_file:
        values = {k: v for k, (v, _) in read_env_file(env_file).items()}
        yield env_file, values, directory


def rows(run_dir: Path) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads((run_dir / "summary.json").read_text())["checks"]}


def test_a_release_deleting_orders_in_run_python_is_no_go_before_migrate(target, tmp_path):
    env_file, values, directory = target
    release = faults.copy_backend(REPO / "backend", tmp_path / "release")
    extra_plan = faults.patch_migration_deletes_orders(release)
    real = wrapper(tmp_path / "manage-release.sh", directory / "backend.env", release)
    calls = tmp_path / "manage-calls"  # what the window asked manage.py: its first argument, one line each
    manage = tmp_path / "manage-counted.sh"
    manage.write_text(f'#!/bin/sh\necho "$1" >> {calls}\nexec {real} "$@"\n')
    manage.chmod(0o755)
    before = snapshot_of(values["DATABASE_URL"], "target", PROTECTED)
    run_dir = tmp_path / "run"
    code, stdout, clusters = window_watching_servers(env_file, "migrate", "--confirm", "--to", "migrate", extra={
        "RUN_DIR": str(run_dir), "MANAGE_CMD": str(manage), "BACKEND_DIR": str(release),
        "EXPECTED_PLAN": ",".join([*Settings().expected_plan, *extra_plan]),
        "DEPLOYED_VERSION_CMD": f"{PYTHON} -m rehearse.release", "PIP_CHECK_CMD": "true", "DISPOSABLE_PG": "local"})
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["verdict"] == "NO-GO", stdout[-3000:]
    assert code == 10
    assert len(clusters) == 1, f"one disposable server for BKP-04 and MIG-05, not {sorted(clusters)}"
    assert not any(c.exists() for c in clusters) and not any(pid_alive(p) for p in clusters.values())
    assert not (run_dir / "disposable_pg.json").exists(), "the hand-over file is withdrawn after the window"
    assert rows(run_dir)["BKP-04"]["outcome"] == "passed"
    assert "restored by the window while the preflight ran" in rows(run_dir)["BKP-04"]["message"]
    assert summary["decision"]["deciding_check"] == "MIG-05"
    checks = rows(run_dir)
    mig05 = checks["MIG-05"]
    assert mig05["outcome"] == "failed"
    assert "orders.0900_rehearsal_cleanup_test_orders changed protected table orders: rows" in mig05["message"]
    assert "deleted" in mig05["message"]
    assert {"MIG-01", "MIG-03"} <= set(checks), "MIG-01 and MIG-03 ran beside MIG-05"
    asked = json.loads((run_dir / "deployed_probes.json").read_text())  # DEP-01..MIG-03 in one manage.py
    assert {"interpreter", "introspect", "showmigrations", "sqlmigrate"} <= set(asked["answers"]), asked["errors"]
    assert "orders.0900_rehearsal_cleanup_test_orders" in asked["answers"]["sqlmigrate"]
    said = calls.read_text().split()  # DEP-01, RUN-01..03, MIG-01, MIG-03: one shell; MIG-05's copy: one
    assert "showmigrations" not in said and "sqlmigrate" not in said and said.count("shell") == 2, said
    assert checks["MIG-01"]["outcome"] == "passed" and checks["MIG-03"]["outcome"] in ("passed", "failed")
    trial = json.loads((run_dir / "migrations" / "trial.json").read_text())
    assert trial["mode"] == "one-process" and "migrate" not in said, "the trial ran inside MIG-05's one shell"
    assert trial["ahead"] is True, "the copy migrated its own plan beside the deploy probes"
    assert trial["copy"].startswith("template of restore_"), "the copy is BKP-04's kept restore, not a second restore"
    by_migration = {r["migration"]: r for r in trial["runs"]}
    assert by_migration["orders.0900_rehearsal_cleanup_test_orders"]["changes"]["orders"]["deleted"] > 0
    assert "orders" not in by_migration["products.0002_colormapping_productvariant"]["changes"]
    journal = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]
    assert "migrate" not in {e.get("name") for e in journal}, "the real migrate never started"
    after = snapshot_of(values["DATABASE_URL"], "target", PROTECTED)
    assert before.diff(after) == [], "nothing on the target changed"


def test_the_healthy_release_passes_mig_05_and_records_its_trial(target, tmp_path):
    env_file, values, directory = target
    run_dir = tmp_path / "run"
    assert window(env_file, "step", "backup", extra={"RUN_DIR": str(run_dir)}).returncode == 0
    assert "while the preflight ran" not in rows(run_dir)["BKP-04"]["message"], "make backup: BKP-04 restored itself"
    proc = window(env_file, "checks", "MIG-05", extra={"RUN_DIR": str(run_dir)})
    mig05 = rows(run_dir)["MIG-05"]
    assert mig05["outcome"] == "passed", (mig05, proc.stdout[-2000:])
    trial = json.loads((run_dir / "migrations" / "trial.json").read_text())
    assert [r["migration"] for r in trial["runs"]] == Settings().expected_plan
    assert all(r["exit_code"] == 0 for r in trial["runs"])
    assert trial["mode"] == "one-process" and trial["startup_s"] > 0, "Django started once, counted in the forecast"
    assert trial["ahead"] is True and trial["started_at"].endswith("+00:00")
    assert trial["duration_s"] == round(trial["startup_s"] + sum(r["duration_s"] for r in trial["runs"]), 3)
    assert trial["duration_s"] > 0 and "protected tables unchanged" in mig05["message"]
    assert trial["copy"] == "pg_restore of the backup", "BKP-04's restore went with its window's server: restored again"
    assert trial["database"] not in subprocess.run(
        ["psql", "-Atc", "SELECT datname FROM pg_database", values["DISPOSABLE_PG_URL"]] if "DISPOSABLE_PG_URL" in
        values else ["true"], capture_output=True, text=True, check=False).stdout, "the copy is dropped"


def test_a_command_without_stdin_falls_back_to_one_process_per_migration_with_the_same_findings(target, tmp_path):
    env_file, values, directory = target
    release = faults.copy_backend(REPO / "backend", tmp_path / "release")
    extra_plan = faults.patch_migration_deletes_orders(release)
    real = wrapper(tmp_path / "manage-release.sh", directory / "backend.env", release)
    no_stdin = tmp_path / "manage-no-stdin.sh"  # e.g. ssh -n, docker run without -i
    no_stdin.write_text(f'#!/bin/sh\nexec {real} "$@" < /dev/null\n')
    no_stdin.chmod(0o755)
    common = {"MANAGE_CMD": str(real), "BACKEND_DIR": str(release),
              "EXPECTED_PLAN": ",".join([*Settings().expected_plan, *extra_plan])}
    messages, trials = {}, {}
    for mode, extra in (("one-process", {}), ("per-process", {"TRIAL_MANAGE_CMD": str(no_stdin)})):
        run_dir = tmp_path / mode / "run"  # the run id the module's target is claimed by
        assert window(env_file, "step", "backup", extra={"RUN_DIR": str(run_dir)}).returncode == 0
        proc = window(env_file, "checks", "MIG-05", extra={"RUN_DIR": str(run_dir), **common, **extra})
        mig05 = rows(run_dir)["MIG-05"]
        assert mig05["outcome"] == "failed", (mig05, proc.stdout[-2000:])
        messages[mode] = mig05["message"]
        trials[mode] = json.loads((run_dir / "migrations" / "trial.json").read_text())
    assert [t["mode"] for t in trials.values()] == ["one-process", "per-process"]
    assert [t["ahead"] for t in trials.values()] == [True, False], "without stdin nothing migrates ahead"
    assert "stdin" in trials["per-process"]["mode_reason"] and trials["per-process"]["startup_s"] == 0
    assert "orders.0900_rehearsal_cleanup_test_orders changed protected table orders" in messages["one-process"]
    assert messages["one-process"] == messages["per-process"], "the same findings, named per migration"
    per_run = {m: [(r["migration"], r["exit_code"], r["changes"]) for r in t["runs"]] for m, t in trials.items()}
    assert per_run["one-process"] == per_run["per-process"]


def test_a_handoff_that_misses_the_copy_refuses_and_runs_nothing(target, tmp_path):
    env_file, values, directory = target
    run_dir = tmp_path / "run"
    assert window(env_file, "step", "backup", extra={"RUN_DIR": str(run_dir)}).returncode == 0
    deaf = wrapper(tmp_path / "manage-deaf.sh", directory / "backend.env", REPO / "backend", honours_copy=False)
    before = snapshot_of(values["DATABASE_URL"], "target")
    window(env_file, "checks", "MIG-05", extra={"RUN_DIR": str(run_dir), "MANAGE_CMD": str(deaf)})
    mig05 = rows(run_dir)["MIG-05"]
    assert mig05["outcome"] == "failed"
    assert "not pointed at the copy" in mig05["message"] and "TRIAL_DB_ENV" in mig05["message"]
    assert "nothing ran" in mig05["message"]
    assert snapshot_of(values["DATABASE_URL"], "target").same_as(before), "the target was not migrated"


def test_the_trial_forecasts_migrate_against_its_budget_and_names_a_failing_migration():
    from gate.migrations.trial import MigrationRun, TableChange, TrialResult

    runs = (MigrationRun("products.0002_a", "manage.py migrate products 0002_a", 0, 120.0, 1, 2),
            MigrationRun("products.0003_b", "manage.py migrate products 0003_b", 1, 70.5, 2, 2,
                         {"users": TableChange(0, 20, 0, 20, 20, True)}, "Traceback…\nLockNotAvailable: timeout"))
    trial = TrialResult("mig05_trial_x", 3.0, True, runs, ("products.0002_a", "products.0003_b"))
    assert trial.duration_s == 190.5
    assert trial.findings(["users"], 180) == [
        "products.0003_b fails on the copy (exit 1): LockNotAvailable: timeout",
        "products.0003_b changed protected table users: same row count, content changed (updated 20)",
        "the migrations took 190.5s on the copy > the migrate budget 180s"]
    assert trial.findings([], 200) == ["products.0003_b fails on the copy (exit 1): LockNotAvailable: timeout"]


def test_the_copys_password_never_reaches_the_trials_record():
    from gate.migrations.trial import _run

    proc = _run('echo "connecting with s3cr3t-pw"; echo "failed for s3cr3t-pw" >&2', "/", {"PATH": os.environ["PATH"]},
                10, "s3cr3t-pw")
    assert "s3cr3t-pw" not in proc.stdout + proc.stderr and "***" in proc.stdout


def test_sigterm_to_the_window_stops_its_disposable_server(target, tmp_path):
    env_file, values, directory = target
    run_dir = tmp_path / "run"
    handover = run_dir / "disposable_pg.json"
    with subprocess.Popen([PYTHON, "-m", "gate.window", "step", "backup"], cwd=REPO,
                          env=_env(env_file, {"RUN_DIR": str(run_dir), "DISPOSABLE_PG": "local"}),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        deadline = time.monotonic() + 120
        while not handover.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        clusters = [o.parent for o in REGISTRY.glob("pg-*/owner.pid") if o.read_text().strip() == str(proc.pid)]
        assert handover.exists() and len(clusters) == 1, "the window published its one server"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert not clusters[0].exists(), "the server the window held is stopped and removed"
    assert not handover.exists()


@pytest.fixture(scope="module")
def trial_kit(target, tmp_path_factory):
    """(settings, backup, disposable server) for calling the trial's functions directly: this run's backup
    of the module's target and a disposable server of its major version."""
    env_file, values, directory = target
    run_dir = tmp_path_factory.mktemp("mig05-direct") / "run"
    assert window(env_file, "step", "backup", extra={"RUN_DIR": str(run_dir)}).returncode == 0
    settings = load_settings(_env(env_file, {"RUN_DIR": str(run_dir)}))
    backup = Backup.of_run(Run.open(run_dir), settings.tool("pg_restore"), settings.backup_jobs)
    assert backup is not None
    with disposable_postgres(settings.disposable_pg, major=server_major(settings.dsn())) as pg:
        yield settings, backup, pg


def applied(pg, database: str) -> set[str]:
    """The migrations ``database`` of ``pg`` has applied (``app.name``)."""
    with psycopg.connect(pg.get_connection_url(dbname=database)) as conn:
        return {f"{a}.{n}" for a, n in conn.execute("SELECT app, name FROM django_migrations")}


def databases(pg) -> set[str]:
    with psycopg.connect(pg.get_connection_url()) as conn:
        return {d for (d,) in conn.execute("SELECT datname FROM pg_database")}


def test_one_by_one_migrates_the_copys_own_plan_by_name_before_the_target_plan_is_known(trial_kit):
    settings, backup, pg = trial_kit
    plan = Settings().expected_plan
    start = prepare_trial(settings, backup, pg)
    ahead = migrate_ahead(start, settings)  # no pending list given: the copy's own plan
    assert ahead is not None and list(ahead.plan) == plan
    assert [r.command for r in ahead.runs] == [f"manage.py migrate {m.replace('.', ' ', 1)} --noinput" for m in plan]
    assert all(r.exit_code == 0 for r in ahead.runs) and set(plan) <= applied(pg, start.name)
    trial = run_trial(settings, backup, pg, plan, started=start, ahead=ahead)
    record = trial.as_dict()
    assert record["ahead"] is True and record["started_at"] == ahead.started_at and trial.database == start.name
    assert trial.runs == ahead.runs, "the runs ahead are the trial: nothing migrated a second time"
    assert start.talk is not None and start.talk.proc.poll() is not None, "the program was ended"
    assert start.name not in databases(pg)


def test_a_copy_whose_plan_is_not_the_targets_is_tried_again_with_the_targets(trial_kit):
    settings, backup, pg = trial_kit
    plan = Settings().expected_plan
    start = prepare_trial(settings, backup, pg)
    ahead = migrate_ahead(start, settings)
    assert ahead is not None and set(plan) <= applied(pg, start.name), "the copy migrated its own plan"
    pending = plan[:1]  # the target's plan (MIG-01) is not the copy's
    trial = run_trial(settings, backup, pg, pending, started=start, ahead=ahead, keep=True)
    try:
        assert trial.as_dict()["ahead"] is False and trial.database != start.name
        assert start.name not in databases(pg), "the copy migrated ahead was dropped"
        assert [r.migration for r in trial.runs] == pending and all(r.exit_code == 0 for r in trial.runs)
        assert applied(pg, trial.database) & set(plan) == set(pending), "the target's plan ran on a fresh copy"
    finally:
        pg.drop_database(trial.database)


def test_all_at_once_migrates_the_copys_own_plan_ahead_in_one_migrate(trial_kit):
    settings, backup, pg = trial_kit
    all_at_once = settings.model_copy(update={"trial_one_by_one": False})
    plan = Settings().expected_plan
    start = prepare_trial(all_at_once, backup, pg)
    ahead = migrate_ahead(start, all_at_once)
    assert ahead is not None and [(r.migration, r.command) for r in ahead.runs] == [
        ("+".join(plan), "manage.py migrate --noinput")]
    assert set(plan) <= applied(pg, start.name)
    trial = run_trial(all_at_once, backup, pg, list(reversed(plan)), started=start, ahead=ahead)
    assert trial.as_dict()["ahead"] is True and trial.runs == ahead.runs, "all at once: the same set is served"


def test_a_handoff_naming_another_database_runs_nothing_ahead_and_the_trial_refuses(target, trial_kit, tmp_path):
    env_file, values, directory = target
    settings, backup, pg = trial_kit
    other = f"other_{os.getpid()}"
    dsn, error = backup.restore(pg, other)
    assert not error
    elsewhere = manage_script(tmp_path / "manage-elsewhere.sh", env_file=directory / "backend.env",
                              cwd=REPO / "backend", honours_copy=False, exports={"DATABASE_URL": dsn})
    misses = settings.model_copy(update={"manage_cmd": str(elsewhere)})
    try:
        before = applied(pg, other)
        start = prepare_trial(misses, backup, pg)
        assert start.said is not None and start.said["database"] == other
        assert migrate_ahead(start, misses) is None
        assert applied(pg, other) == before, "nothing migrated the database the release connects to"
        with pytest.raises(TrialRefused, match="not pointed at the copy"):
            run_trial(misses, backup, pg, Settings().expected_plan, started=start)
        assert applied(pg, other) == before
    finally:
        pg.drop_database(other)
