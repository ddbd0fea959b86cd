"""A second target that is not our defaults (tests/foreign_target), driven by settings only.

1. With the runbook's defaults the window is NO-GO before anything changes, the missing
   ``maintenance_mode`` command named.
2. Configured around the command drift (the worked env file of docs/deployment.md), MIG-05 is
   NO-GO naming the migration that deletes the orders; nothing on the target changed.
3. A forced run past it (``GUARD_OVERRIDE`` with a reason) is ROLLBACK with MIG-04 deciding, and the
   rollback script restores every row and exits 0.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from gate.db.snapshot import Snapshot, snapshot_of
from rehearse.backend import PYTHON

REPO = Path(__file__).resolve().parents[2]
PROTECTED = ["orders", "order_items", "carts", "cart_items", "users", "favorites"]


def window(env_file: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENV_FILE": str(env_file), "GATE_LIVE": "0", "PYTHONPATH": str(REPO), **extra}
    for key in ("RUN_DIR", "RUN_ID", "DATABASE_URL", "MANAGE_CMD", "BACKEND_DIR", "GUARD_OVERRIDE"):
        if key not in extra:
            env.pop(key, None)
    return subprocess.run([PYTHON, "-m", "gate.window", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900, check=False)


def checks(run_dir: Path) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads((run_dir / "summary.json").read_text())["checks"]}


def started(run_dir: Path) -> set[str]:
    return {json.loads(line).get("name") for line in (run_dir / "journal.jsonl").read_text().splitlines()
            if json.loads(line).get("event") == "start"}


def past_round_trip_false_alarm(env_file: Path, run_dir: Path, to: str) -> None:
    """Until BKP-04 treats definitions re-printed by a dump/restore round trip as equal (issue 11 item 3), the
    partial ``IN`` index stops the window at the backup: force it on to ``to`` with a recorded override, so
    the outcomes below are shown on what comes after. A no-op once BKP-04 passes."""
    bkp04 = checks(run_dir).get("BKP-04", {})
    if bkp04.get("outcome") != "failed" or "= ANY" not in bkp04.get("message", ""):
        return
    assert {i for i, r in checks(run_dir).items() if r["outcome"] == "failed"} == {"BKP-04"}
    names = ["maintenance_on", "deploy", "migrate"]
    start = next(n for n in names if n not in completed(run_dir))
    window(env_file, "migrate", "--from", start, "--to", to, "--confirm", RUN_DIR=str(run_dir),
           GUARD_OVERRIDE="BKP-04 round-trip false alarm on the partial IN index (issue 11 item 3)")


def completed(run_dir: Path) -> set[str]:
    entries = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]
    return {e["name"] for e in entries if e.get("event") == "end" and e.get("exit_code") == 0}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    from tests.foreign_target.target import foreign_target

    with foreign_target(tmp_path_factory.mktemp("foreign"), os.environ.get("DISPOSABLE_PG", "local")) as target:
        yield target


def test_with_the_runbook_defaults_the_window_is_no_go_before_anything_changes(shop, tmp_path):
    before = snapshot_of(shop.dsn, "before")
    run_dir = tmp_path / "run"
    env_file = shop.env_file(configured=False)
    proc = window(env_file, "migrate", "--confirm", RUN_DIR=str(run_dir))
    past_round_trip_false_alarm(env_file, run_dir, "migrate")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["verdict"] == "NO-GO", proc.stdout[-3000:]
    assert proc.returncode == 10
    failed = {i: r["message"] for i, r in checks(run_dir).items() if r["outcome"] == "failed"}
    assert "maintenance_mode" in " ".join(failed.values()), failed
    assert not started(run_dir) & {"migrate", "flush", "import"}
    assert before.diff(snapshot_of(shop.dsn, "after")) == [], "nothing on the target changed"
    (shop.directory / "maintenance.flag").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def configured_run(shop, tmp_path_factory):
    """The configured window, stopped by MIG-05: (run dir, process, target snapshot before)."""
    before = snapshot_of(shop.dsn, "before")
    run_dir = tmp_path_factory.mktemp("configured") / "run"
    env_file = shop.env_file(configured=True)
    proc = window(env_file, "migrate", "--confirm", RUN_DIR=str(run_dir))
    if "MIG-05" not in checks(run_dir):  # stopped at the backup (see past_round_trip_false_alarm): the checks
        window(env_file, "checks", "MIG-01,MIG-03,MIG-05", RUN_DIR=str(run_dir))  # that would have come next
    return run_dir, proc, before


def test_configured_around_the_drift_mig_05_is_no_go_naming_the_orders_migration(shop, configured_run):
    run_dir, proc, before = configured_run
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["verdict"] == "NO-GO", proc.stdout[-3000:]
    mig05 = checks(run_dir)["MIG-05"]
    assert mig05["outcome"] == "failed"
    assert "orders.0002_cleanup_test_orders changed protected table orders: rows 150 → 0" in mig05["message"]
    assert "orders.0003_clear_stale_carts changed protected table cart_items: rows 49 → 0" in mig05["message"]
    assert "migrate" not in started(run_dir), "the real migrate never started"
    assert before.diff(snapshot_of(shop.dsn, "after")) == [], "nothing on the target changed"


def test_a_forced_run_past_it_is_rollback_decided_by_mig_04_and_the_rollback_restores_every_row(
        shop, configured_run):
    run_dir, _, _ = configured_run
    env_file = shop.env_file(configured=True)
    reason = "forced past MIG-05 to prove the way back (self-test)"
    start = next(n for n in ("maintenance_on", "deploy", "migrate") if n not in completed(run_dir))
    proc = window(env_file, "migrate", "--from", start, "--to", "migrate", "--confirm", RUN_DIR=str(run_dir),
                  GUARD_OVERRIDE=reason)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["verdict"] == "ROLLBACK", proc.stdout[-3000:]
    assert summary["decision"]["deciding_check"] == "MIG-04"
    assert "orders: rows 150 → 0" in checks(run_dir)["MIG-04"]["message"]
    recorded = [json.loads(line) for line in (run_dir / "overrides.jsonl").read_text().splitlines()]
    assert any(o["step"] == "migrate" and o["reason"] == reason for o in recorded)
    pre = Snapshot.load(run_dir / "pre_snapshot.json")
    manifest = json.loads((run_dir / "backup.json").read_text())
    env = {**os.environ, "DATABASE_URL": shop.dsn, "RUN_DIR": str(run_dir), "APP_STOP_CMD": ":", "APP_START_CMD": ":",
           "CHECKOUT_CMD": ":", "ROLLBACK_KEEP_OLD": "no", "CONFIRM": "yes",
           "ROLLBACK_OVERRIDE": "the backup's BKP-04 compare is item 3's (self-test)"}
    rollback = subprocess.run([str(REPO / "scripts" / "deploy" / "rollback_production.sh"), "--confirm",
                               manifest["path"]], env=env, capture_output=True, text=True, timeout=600, check=False)
    assert rollback.returncode == 0, rollback.stdout[-2000:] + rollback.stderr[-2000:]
    after = snapshot_of(shop.dsn, "after rollback")
    assert pre.only(PROTECTED).diff(after.only(PROTECTED), content_only=True) == []
    assert {t: s.rows for t, s in after.tables.items()} == {t: s.rows for t, s in pre.tables.items()}
