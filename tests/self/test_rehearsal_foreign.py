"""The nightly rehearsal of a deployment that is not ours (issue 12), by settings only.

1. The code under rehearsal reaches only the disposable database, proven before anything runs: with
   a "staging" database's ``DB_*`` in the environment and the handoff absent or pointing elsewhere,
   the rehearsal refuses (exit 1, nothing run) and staging's row counters do not move.
2. The foreign shop rehearsed from a ``pg_dump -Fc`` of its database with its own code: NO-GO at
   MIG-05 naming the migration that deletes the orders, the backup proven, the source untouched; with
   the command drift left as the runbook has it, NO-GO naming the missing maintenance command.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from gate.db.readonly import connect_readonly
from gate.db.snapshot import Snapshot, snapshot_of
from gate.settings import default_pg_bin_dir, libpq_env
from tests.foreign_target.target import CONF, RELEASE_COMMIT, RELEASE_PLAN, SHOP

HERE = Path(__file__).resolve().parent
FOREIGN = HERE.parent / "foreign_target"


@pytest.fixture(scope="module")
def staging(tmp_path_factory):
    """The foreign shop standing for staging: its own server, its DB_* exported as on a staging host."""
    from tests.foreign_target.target import foreign_target

    with foreign_target(tmp_path_factory.mktemp("staging"), os.environ.get("DISPOSABLE_PG", "local")) as target:
        yield target


def counters(dsn: str) -> dict[str, tuple[int, int, int]]:
    """Staging's row counters per table (inserted, updated, deleted), by the server's statistics.

    Per user table: the database-wide ``tup_*`` also count autovacuum's ANALYZE writing ``pg_statistic``.
    """
    time.sleep(1.2)  # backends flush their statistics at exit / once a second
    with connect_readonly(dsn) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = conn.execute("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables").fetchall()
    return {name: (int(i), int(u), int(d)) for name, i, u, d in rows}


def rehearsal_settings(staging, work: Path, **extra: str) -> dict[str, str]:
    """The staging operator's settings for the foreign shop (docs/staging-rehearsal.md), over a staging host's env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REHEARSAL_", "FAULT"))}
    env.update(staging.shop_env)  # the deployment's own DB_*, SHOP_* as on a staging host
    env.update({
        "BACKEND_DIR": str(SHOP), "DJANGO_SETTINGS_MODULE": "shopconf", "REHEARSAL_PYTHONPATH": str(CONF),
        "REHEARSAL_WSGI_APP": "shopapi:application", "REHEARSAL_DB_ENV": "db_parts",
        "REHEARSAL_CODE_ENV": "SHOP_MAINTENANCE_FLAG={work}/maintenance.flag SHOP_LOG_DIR={log_dir} "
                              "SHOP_EXCHANGE_USER={onec_user} SHOP_EXCHANGE_PASSWORD={onec_password}",
        "REHEARSAL_ONEC_HEALTHCHECK_URL": "{base_url}/api/integration/1c/exchange/?type=catalog&mode=checkauth",
        "REHEARSAL_MAINTENANCE_ON_CMD": "touch {work}/maintenance.flag",
        "REHEARSAL_MAINTENANCE_OFF_CMD": "rm -f {work}/maintenance.flag",
        "REHEARSAL_DEPLOYED_VERSION_CMD": f"echo {RELEASE_COMMIT}",
        "API_PREFIX": "/api/v1", "RELEASE_TAG": RELEASE_COMMIT, "EXPECTED_PLAN": ",".join(RELEASE_PLAN),
        "REHEARSAL_DEPLOY_CMD": ":", "PIP_CHECK_CMD": "true", "IMPORT_ARGS": "", "IMPORT_READS_COPY": "yes",
        "API_PRICE_FIELDS": "current_price", "MIGRATION_WAIVERS": str(FOREIGN / "migration-waivers.yml"),
        "PREVIOUS_RELEASE_TAG": "v13.3.0", "CHECKOUT_CMD": ":",
        "RUNS_ROOT": str(work / "runs"), "REHEARSAL_WORK_DIR": str(work / "rehearsal"),
        "DISPOSABLE_PG": os.environ.get("DISPOSABLE_PG") or "local", "GATE_LIVE": "0",
    })
    env.update(extra)
    return env


def rehearse(environ: dict[str, str], label: str):
    from rehearse.orchestrator import Rehearsal

    rehearsal = Rehearsal(None, console=Console(width=200, force_terminal=False), environ=environ, label=label)
    code = rehearsal.execute()
    return rehearsal, code


def test_the_code_never_reaches_staging_refused_before_anything_runs(staging, tmp_path):
    before_rows, before = snapshot_of(staging.dsn, "before"), counters(staging.dsn)
    db = staging.shop_env
    handoffs = {  # absent (the default DATABASE_URL: DB_* never pass through) and a handoff naming staging
        "absent": {"REHEARSAL_DB_ENV": ""},
        "staging": {"REHEARSAL_DB_ENV": " ".join(f"{k}={db[k]}" for k in ("DB_NAME", "DB_HOST", "DB_PORT", "DB_USER",
                                                                           "DB_PASSWORD"))},
    }
    for name, extra in handoffs.items():
        rehearsal, code = rehearse(rehearsal_settings(staging, tmp_path / name, **extra), f"refusal-{name}")
        assert code == 1, name
        assert [p.name for p in rehearsal.phases][:3] == ["postgres", "code", "isolation"]
        assert rehearsal.phases[2].status == "failed"
        assert "refused before anything ran" in rehearsal.record["error"], rehearsal.record["error"]
        assert "REHEARSAL_DB_ENV" in rehearsal.record["error"]
        assert not rehearsal.run.journal(), "nothing ran: no step was started"
        assert db["DB_PASSWORD"] not in rehearsal.record["error"]
        if name == "staging":
            assert f"connected to database {db['DB_NAME']!r} on port {db['DB_PORT']}" in rehearsal.record["error"]
    assert counters(staging.dsn) == before, "staging's row counters are unchanged"
    assert before_rows.diff(snapshot_of(staging.dsn, "after")) == []


@dataclass
class FromTheDump:
    """The three rehearsals of one ``pg_dump -Fc`` of staging, run side by side (none writes anything shared)."""

    dump: Path
    before_rows: Snapshot
    before: dict[str, tuple[int, int, int]]
    configured: tuple[Any, int] | None = None
    drift: tuple[Any, int] | None = None
    way_back: subprocess.CompletedProcess[str] | None = None


@pytest.fixture(scope="module")
def from_the_dump(staging, tmp_path_factory) -> FromTheDump:
    """Staging's dump, then at once: the rehearsal configured around the drift, the one with the drift left
    as the runbook has it, and ``make rollback-rehearsal`` (``python -m rehearse rollback``) of that dump.

    Each has its own disposable server, runs and work directories; staging's counters and rows are
    taken before any of them starts, so each test's "staging unchanged" covers all three.
    """
    base = tmp_path_factory.mktemp("from-dump")
    dump = base / "staging.dump"
    pg_dump = str(Path(default_pg_bin_dir()) / "pg_dump")
    subprocess.run([pg_dump, "-Fc", "-f", str(dump), staging.dsn.rsplit("/", 1)[1]],
                   env={**os.environ, **libpq_env(staging.dsn)}, check=True, capture_output=True)
    out = FromTheDump(dump, snapshot_of(staging.dsn, "before"), counters(staging.dsn))
    configured = rehearsal_settings(staging, base / "configured", REHEARSAL_SOURCE_DUMP=str(dump))
    drift = rehearsal_settings(staging, base / "drift", REHEARSAL_SOURCE_DUMP=str(dump))
    for key in ("REHEARSAL_MAINTENANCE_ON_CMD", "REHEARSAL_MAINTENANCE_OFF_CMD"):
        drift.pop(key)
    way_back = rehearsal_settings(staging, base / "way-back", ROLLBACK_REHEARSAL_DUMP=str(dump),
                                  GUARD_OVERRIDE="rehearsing the way back of this release on a disposable copy")

    def run_way_back() -> None:
        out.way_back = subprocess.run([sys.executable, "-m", "rehearse", "rollback"], cwd=HERE.parents[1],
                                      env=way_back, capture_output=True, text=True, timeout=900, check=False)

    def run_configured() -> None:
        out.configured = rehearse(configured, "foreign")

    def run_drift() -> None:
        out.drift = rehearse(drift, "foreign-drift")

    threads = [threading.Thread(target=f) for f in (run_way_back, run_drift)]
    for thread in threads:
        thread.start()
    try:
        run_configured()
    finally:
        for thread in threads:
            thread.join()
    return out


def test_the_foreign_shop_rehearsed_from_its_dump_with_its_own_code(staging, from_the_dump):
    # configured around the command drift: NO-GO at MIG-05 naming the orders migration
    assert from_the_dump.configured is not None
    rehearsal, code = from_the_dump.configured
    summary = rehearsal.run.read_summary()
    rows = {r["id"]: r for r in summary["checks"]}
    assert summary["verdict"] == "NO-GO", (code, rehearsal.record)
    assert code == 10
    assert "orders.0002_cleanup_test_orders changed protected table orders" in rows["MIG-05"]["message"]
    assert all(rows[i]["outcome"] == "passed" for i in ("BKP-01", "BKP-02", "BKP-03")), rows
    assert not rehearsal.run.destructive_started()
    assert summary["rehearsal_of"].startswith(f"the code in {SHOP}")
    assert {i["id"] for i in summary["not_applicable"]} == {"PRE-03", "PRE-04"}
    assert not {i["id"] for i in summary["manual_items"]} & {"PRE-03", "PRE-04"}
    signoff = (rehearsal.run.dir / "signoff.html").read_text()
    assert f"rehearsal of the code in {SHOP}" in signoff and "target <code>" not in signoff
    assert "not applicable in a rehearsal: PRE-03; PRE-04" in signoff
    # the drift left as the runbook has it: NO-GO naming the missing maintenance command
    assert from_the_dump.drift is not None
    drifted, code = from_the_dump.drift
    summary = drifted.run.read_summary()
    failed = " ".join(r["message"] for r in summary["checks"] if r["outcome"] == "failed")
    assert summary["verdict"] == "NO-GO" and code == 10, failed
    assert "maintenance_mode" in failed, failed
    assert not drifted.run.destructive_started()
    assert counters(staging.dsn) == from_the_dump.before, "nothing ran against the source database"
    assert from_the_dump.before_rows.diff(snapshot_of(staging.dsn, "after")) == []


def test_the_codes_environment_is_its_own(tmp_path):
    """No deployment DB_*, no gate repo on PYTHONPATH; a trial copy re-rendered in the code's own terms."""
    from gate.handoff import Handoff
    from rehearse.child import env_lines, write_private
    from rehearse.code import CodeEnvError, launch_env, parse_code_env

    code_env = tmp_path / "code.env"
    write_private(code_env, env_lines({"GATE_REHEARSAL_DB_ENV": "db_parts", "DB_NAME": "freesport_x",
                                       "DB_HOST": "127.0.0.1", "DB_PORT": "6000", "DB_USER": "u", "DB_PASSWORD": "p",
                                       "PYTHONPATH": str(CONF)}))
    staging_host = {"DB_NAME": "staging", "DB_HOST": "db.staging", "DATABASE_URL": "postgresql://s@staging/s",
                    "PGHOST": "staging", "PYTHONPATH": str(HERE.parents[1]), "HOME": "/home/x"}
    env = launch_env(staging_host, code_env)
    assert env["DB_NAME"] == "freesport_x" and env["DB_HOST"] == "127.0.0.1" and env["PYTHONPATH"] == str(CONF)
    assert "DATABASE_URL" not in env and "PGHOST" not in env and env["HOME"] == "/home/x"
    assert "GATE_REHEARSAL_DB_ENV" not in env
    trial = launch_env({**staging_host, "REHEARSAL_DATABASE_URL": "postgresql://u:p@127.0.0.1:6000/mig05_trial_1"},
                       code_env)
    assert trial["DB_NAME"] == "mig05_trial_1" and "REHEARSAL_DATABASE_URL" not in trial
    with pytest.raises(CodeEnvError, match="REHEARSAL_DB_ENV"):
        parse_code_env("DB_HOST=db.staging", {}, Handoff.parse("db_parts"))


def test_a_settings_module_without_wsgi_names_the_setting(tmp_path):
    from rehearse.orchestrator import Rehearsal, RehearsalError

    rehearsal = Rehearsal(environ={})
    rehearsal.backend_dir = SHOP
    with pytest.raises(RehearsalError, match="REHEARSAL_WSGI_APP"):
        rehearsal.wsgi_app("shopconf")
    assert Rehearsal(environ={"REHEARSAL_WSGI_APP": "shopapi:application"}).wsgi_app("shopconf") == "shopapi:application"


def test_a_container_mapped_port_is_the_disposable_server_when_that_server_sees_the_connection():
    """Inside a container the server says 5432; the gate reaches it on the mapped port. Its own view decides."""
    from gate.handoff import DbCoordinates
    from rehearse.code import Seen, refusal

    disposable = DbCoordinates("127.0.0.1", 32794, "freesport_ee19c6", "postgres")
    inside = Seen({"NAME": "freesport_ee19c6", "PORT": "32794"}, "freesport_ee19c6", 5432, True, server_port=5432)
    assert refusal(inside, disposable, ("DATABASE_URL",)) == ""
    unseen = Seen({"NAME": "freesport_ee19c6"}, "freesport_ee19c6", 5432, False, server_port=5432)
    assert "does not see its connection" in refusal(unseen, disposable, ("DATABASE_URL",))
    elsewhere = Seen({"NAME": "freesport_ee19c6"}, "freesport_ee19c6", 5433, True, server_port=5432)
    assert "on port 5433" in refusal(elsewhere, disposable, ("DATABASE_URL",))


def test_the_way_back_from_the_foreign_dump_is_proven_by_make_rollback_rehearsal(staging, from_the_dump):
    """``make rollback-rehearsal`` (``python -m rehearse rollback``) from the staging dump: RBK-01..03 pass.

    The release is forced past its MIG-05 NO-GO on the disposable copy (GUARD_OVERRIDE, recorded), as a
    person would to rehearse the way back of exactly this release; staging itself is never touched.
    """
    proc = from_the_dump.way_back
    assert proc is not None
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "rollback proven" in out and "RBK-01 passed, RBK-02 passed, RBK-03 passed" in out, out[-3000:]
    assert counters(staging.dsn) == from_the_dump.before, "nothing ran against the source database"
