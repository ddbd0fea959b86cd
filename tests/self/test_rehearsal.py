"""``make rehearsal`` end to end: GO on the bundled backend, the way back proven, the report written,
the configured target untouched, no secret in the run directory."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gate.db.snapshot import Snapshot, snapshot_of
from gate.settings import read_env_file
from rehearse.backend import sample_parameters
from rehearse.orchestrator import TARGET_KEYS, Rehearsal

REPO = Path(__file__).resolve().parents[2]


def test_sample_parameters_are_the_committed_packages():
    readme = (REPO / "backend" / "sample_data" / "README.md").read_text()
    assert f"generate_commerceml {' '.join(sample_parameters().options())} " in readme


def test_the_window_never_inherits_a_target_variable(tmp_path):
    rehearsal = Rehearsal(environ={"DATABASE_URL": "postgresql://prod:pw@prod/db", "BASE_URL": "https://shop",
                                   "BACKEND_DIR": "/srv/freesport", "API_PREFIX": "/api/v1"})
    rehearsal.work = tmp_path
    rehearsal.gate_env = {"DATABASE_URL": "postgresql://postgres:x@127.0.0.1:5/rehearsal"}
    env = rehearsal._child_env()
    assert env["DATABASE_URL"].endswith("/rehearsal") and "BASE_URL" not in env
    assert env["BACKEND_DIR"] == "/srv/freesport" and env["API_PREFIX"] == "/api/v1"
    assert {"DATABASE_URL", "BASE_URL", "RUN_DIR", "ENV_FILE", "BACKUP_DIR"} <= set(TARGET_KEYS)


def test_the_isolation_probe_finds_the_codes_own_connection_on_the_disposable_server(gate_db, tmp_path):
    """rehearse.code.probe sends gate/probes/connection.py (a linted file, not a string) into ``manage.py shell``.

    The bundled backend on a database of the disposable server: the code names that database and port,
    and the server's pg_stat_activity shows its tagged connection while the probe holds it open.
    """
    from gate.handoff import DbCoordinates
    from rehearse import code as codelib
    from rehearse.backend import BACKEND, command

    env = {**os.environ, "DATABASE_URL": gate_db.dsn, "SECRET_KEY": "x", "LOG_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "freesport.settings"}
    seen = codelib.probe(shlex.join(command()), BACKEND, env, gate_db.dsn, timeout_s=60)
    expected = DbCoordinates.from_url(gate_db.dsn)
    assert seen.database == expected.name and seen.in_pg_stat_activity, seen
    assert seen.port in {expected.port, seen.server_port}, seen  # a container's server says 5432 inside
    assert codelib.refusal(seen, expected, ("DATABASE_URL",)) == ""
    assert not hasattr(codelib, "PROBE"), "the probe is gate/probes/connection.py, not a string in rehearse/code.py"


@pytest.fixture(scope="module")
def rehearsed(tmp_path_factory, gate_pg):
    """One GO rehearsal (kept work directory) with a "configured target" it must never touch.

    Its run and work directories are recorded here, before the rehearsals of ``way_back_and_staging``
    (which run beside each other and add runs of their own) can start.
    """
    tmp_path = tmp_path_factory.mktemp("rehearsal")
    dsn = gate_pg.create_database("production_stand_in", template="gate_selftest_template")
    before = snapshot_of(dsn, "production")
    env = {**os.environ, "RUNS_ROOT": str(tmp_path / "runs"), "REHEARSAL_WORK_DIR": str(tmp_path / "work"),
           "REHEARSAL_KEEP_WORK": "yes", "GATE_LIVE": "0", "DISPOSABLE_PG": os.environ.get("DISPOSABLE_PG", "local"),
           "DATABASE_URL": dsn, "BASE_URL": "http://127.0.0.1:9/", "RUN_DIR": str(tmp_path / "elsewhere")}
    proc = subprocess.run([sys.executable, "-m", "rehearse"], cwd=REPO, env=env, capture_output=True,
                          text=True, check=False, timeout=1200)
    runs = sorted((tmp_path / "runs").glob("*-rehearsal"))
    works = sorted((tmp_path / "work").iterdir()) if (tmp_path / "work").is_dir() else []
    yield Rehearsed(tmp_path, proc, env, dsn, before, runs[-1] if runs else None, works[0] if works else None)
    gate_pg.drop_database("production_stand_in")


@dataclass(frozen=True)
class Rehearsed:
    """The GO rehearsal of ``rehearsed``: its root, process, settings, stand-in target, run and work directories."""

    root: Path
    proc: subprocess.CompletedProcess[str]
    env: dict[str, str]
    dsn: str
    before: Snapshot
    run: Path | None
    work: Path | None


@pytest.fixture(scope="module")
def way_back_and_staging(rehearsed, tmp_path_factory):
    """``make rollback-rehearsal`` from the GO rehearsal's runs and the staging rehearsal of its dump, side by side.

    Both only read what the GO rehearsal left (its verified backup); each has its own disposable
    server, work directory and (the staging one) runs directory, so neither sees the other.
    """
    from rehearse.faults import copy_backend
    from rehearse.rollback import verified_backups

    backups = verified_backups(rehearsed.root / "runs")
    if not backups:
        pytest.fail("the GO rehearsal's backup is verified and kept: none found\n"
                    + rehearsed.proc.stdout[-3000:] + rehearsed.proc.stderr[-3000:])
    staging = tmp_path_factory.mktemp("staging")
    release = copy_backend(REPO / "backend", staging / "staging" / "freesport")
    git = ["git", "-C", str(release), "-c", "user.email=ci@example.org", "-c", "user.name=ci"]
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "v13.4.0"], ["tag", "v13.4.0"]):
        subprocess.run([*git, *argv], check=True, capture_output=True)
    envs = {
        "rollback": {**rehearsed.env, "REHEARSAL_KEEP_WORK": ""},
        "staging": {**rehearsed.env, "REHEARSAL_KEEP_WORK": "", "RUNS_ROOT": str(staging / "runs"),
                    "REHEARSAL_WORK_DIR": str(staging / "work"), "BACKEND_DIR": str(release),
                    "REHEARSAL_SOURCE_DUMP": str(backups[0][1])},
    }
    args = {"rollback": ["rollback"], "staging": []}
    procs = {name: subprocess.Popen([sys.executable, "-m", "rehearse", *args[name]], cwd=REPO, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name, env in envs.items()}
    done = {}
    try:
        for name, proc in procs.items():
            out, err = proc.communicate(timeout=1200)
            done[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()  # rehearse stops what it started on SIGTERM (test_rehearsal_sigterm)
                proc.wait(timeout=120)
    return backups, release, staging, done


def test_rehearsal_ends_go_with_the_way_back_proven(rehearsed):
    tmp_path, proc, dsn, before, run = rehearsed.root, rehearsed.proc, rehearsed.dsn, rehearsed.before, rehearsed.run
    assert run is not None, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    assert proc.returncode == 0 and summary["verdict"] == "GO", proc.stdout[-4000:]
    rows = {r["id"]: r["outcome"] for r in summary["checks"]}
    assert all(rows.get(i) == "passed" for i in ("BKP-04", "MIG-02", "IMP-01", "PST-07", "RBK-01", "RBK-02", "RBK-03"))
    assert summary["reverse_migration"]["restore_only_way_back"] is True
    assert summary["rehearsal"]["data"] == sample_parameters().as_dict()
    assert (run / "signoff.html").exists() and (run / "rollback.json").exists()
    assert not (tmp_path / "elsewhere").exists()
    assert before.diff(snapshot_of(dsn, "production")) == []
    assert "127.0.0.1:9" not in summary["target"] and "production_stand_in" not in json.dumps(summary)
    work = rehearsed.work
    assert work is not None
    values = {k: v for k, (v, _) in read_env_file(work / "code.env").items()}
    secrets = [values["SECRET_KEY"], values["ONEC_EXCHANGE_PASSWORD"], urlsplit(values["DATABASE_URL"]).password]
    assert all(secrets)
    for path in run.rglob("*"):
        if path.is_file() and path.stat().st_size < 20_000_000:
            text = path.read_bytes().decode("utf-8", "replace")
            for secret in secrets:
                assert secret not in text, f"a secret of the rehearsal in {path.relative_to(run)}"


def test_rollback_rehearsal_proves_the_latest_verified_backup(rehearsed, way_back_and_staging):
    """``make rollback-rehearsal``: the GO rehearsal's verified backup → window up to the import → rollback."""
    backups, _, _, done = way_back_and_staging
    proc = done["rollback"]
    assert proc.returncode == 0, proc.stdout[-4000:]
    run = sorted((rehearsed.root / "runs").glob("*-rollback-rehearsal"))[-1]
    summary = json.loads((run / "summary.json").read_text())
    steps = {s["name"] for s in summary["steps"]}
    assert {"backup", "migrate", "flush", "import", "rollback"} <= steps and "smoke" not in steps
    assert summary["rehearsal"]["pre_state"] == f"restored REHEARSAL_SOURCE_DUMP {backups[0][1]} (pg_restore into the disposable database)"
    assert rehearsed.before.diff(snapshot_of(rehearsed.dsn, "production")) == []


def test_verified_backups_skip_failed_missing_and_altered_dumps(tmp_path):
    from rehearse.rollback import verified_backups

    def run(name: str, outcome: str, content: bytes | None, finished: str) -> Path:
        directory = tmp_path / name
        directory.mkdir()
        dump = tmp_path / f"{name}.dump"
        if content is not None:
            dump.write_bytes(content)
        import hashlib

        (directory / "backup.json").write_text(json.dumps({"path": str(dump), "sha256": hashlib.sha256(b"ok").hexdigest()}))
        (directory / "summary.json").write_text(json.dumps({"finished_at": finished, "checks": [
            {"id": i, "outcome": outcome} for i in ("BKP-01", "BKP-02", "BKP-03", "BKP-04")]}))
        return dump

    older = run("a", "passed", b"ok", "2026-01-01T00:00:00+00:00")
    newer = run("b", "passed", b"ok", "2026-01-02T00:00:00+00:00")
    run("c", "failed", b"ok", "2026-01-03T00:00:00+00:00")
    run("d", "passed", None, "2026-01-04T00:00:00+00:00")
    run("e", "passed", b"altered", "2026-01-05T00:00:00+00:00")
    assert [d for _, d in verified_backups(tmp_path)] == [newer, older]


def test_staging_rehearsal_runs_another_deployments_code_from_its_dump(way_back_and_staging):
    """The nightly staging rehearsal: ``BACKEND_DIR`` names the release as deployed (a tagged checkout)
    and ``REHEARSAL_SOURCE_DUMP`` a staging dump; that code is what the window migrates."""
    backups, release, staging, done = way_back_and_staging
    dump, proc = backups[0][1], done["staging"]
    run = sorted((staging / "runs").glob("*-rehearsal"))[-1]
    summary = json.loads((run / "summary.json").read_text())
    assert proc.returncode == 0 and summary["verdict"] == "GO", proc.stdout[-4000:]
    rows = {r["id"]: r for r in summary["checks"]}
    assert f"git describe in {release}" in rows["DEP-01"]["message"]
    assert summary["rehearsal"]["pre_state"].startswith(f"restored REHEARSAL_SOURCE_DUMP {dump}")
    assert all(rows[i]["outcome"] == "passed" for i in ("RBK-01", "RBK-02", "RBK-03"))
