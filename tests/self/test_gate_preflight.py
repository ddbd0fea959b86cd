"""PRE-01..07 facts, each shown failing on its fault: QA FAIL, red CI, stale rehearsal, no notice, no privilege, closed window."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from gate.checks import STEP_BUDGETS_S
from gate.db.target import TargetDb
from gate.preflight.ci import CiStatus
from gate.preflight.notifications import NotificationRecord
from gate.preflight.qa import QaGates
from gate.preflight.rehearsal import RehearsalRecord
from gate.preflight.window_hours import Window

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 1, 24, 2, 0, tzinfo=MSK)


# PRE-01 ------------------------------------------------------------------------------
def test_qa_gates_all_pass(qa_gates_dir):
    assert QaGates(qa_gates_dir).failing(["13.1", "13.2", "13.3"]) == []


def test_qa_gate_fail_is_caught(qa_gates_dir):
    (qa_gates_dir / "13.2-story.yml").write_text('story: "13.2"\ngate: FAIL\n')
    assert QaGates(qa_gates_dir).failing(["13.1", "13.2", "13.3"]) == ["13.2: gate FAIL (13.2-story.yml)"]


def test_missing_qa_gate_file_is_caught(qa_gates_dir):
    (qa_gates_dir / "13.3-story.yml").unlink()
    assert QaGates(qa_gates_dir).failing(["13.3"]) == [f"13.3: no QA gate file in {qa_gates_dir}"]


def test_story_taken_from_file_name_when_not_in_the_file(tmp_path):
    (tmp_path / "13.1-models.yml").write_text("gate: CONCERNS\n")
    assert QaGates(tmp_path).status("13.1") == "CONCERNS"


# PRE-02 ------------------------------------------------------------------------------
class FakeGitHub(BaseHTTPRequestHandler):
    answers: dict[str, object] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        assert self.headers["Authorization"] == "Bearer tok"
        key = self.path.rsplit("/", 1)[-1]
        body = json.dumps(self.answers.get(key, {})).encode()
        self.send_response(200 if key in self.answers else 404)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def github():
    server = HTTPServer(("127.0.0.1", 0), FakeGitHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", FakeGitHub.answers
    server.shutdown()


def test_ci_green(github):
    url, answers = github
    answers.update({"check-runs": {"check_runs": [{"name": "tests", "status": "completed", "conclusion": "success"}]},
                    "status": {"state": "pending", "statuses": []}})
    assert CiStatus(url, "org/shop", "tok", "v13.4.0").problems() == []


def test_ci_red_is_caught(github):
    url, answers = github
    answers.update({"check-runs": {"check_runs": [{"name": "tests", "status": "completed", "conclusion": "failure"},
                                                  {"name": "lint", "status": "in_progress"}]},
                    "status": {"state": "failure", "statuses": [{"state": "failure"}]}})
    assert CiStatus(url, "org/shop", "tok", "v13.4.0").problems() == [
        "check run tests: failure", "check run lint: in_progress", "combined status: failure"]


# PRE-03/04 ---------------------------------------------------------------------------
def rehearsal(tmp_path: Path, **fields: object) -> RehearsalRecord:
    data = {"verdict": "GO", "release_tag": "v13.4.0", "finished_at": (NOW - timedelta(days=1)).isoformat(),
            "checks": [{"id": i, "outcome": "passed"} for i in ("RBK-01", "RBK-02", "RBK-03")]}
    data.update(fields)
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(data))
    return RehearsalRecord(path)


def test_recent_go_rehearsal_of_this_release(tmp_path):
    record = rehearsal(tmp_path)
    assert record.problems("v13.4.0", 7, NOW) == [] and record.rollback_problems() == []


def test_rehearsal_older_than_n_days_is_caught(tmp_path):
    record = rehearsal(tmp_path, finished_at=(NOW - timedelta(days=9)).isoformat())
    assert record.problems("v13.4.0", 7, NOW) == ["rehearsal is 9.0 days old (limit 7)"]


def test_rehearsal_no_go_or_other_release_is_caught(tmp_path):
    record = rehearsal(tmp_path, verdict="ROLLBACK", release_tag="v13.3.0")
    assert record.problems("v13.4.0", 7, NOW) == [
        "rehearsal verdict 'ROLLBACK', not GO", "rehearsal of release 'v13.3.0', this window deploys 'v13.4.0'"]


def test_rehearsal_whose_rollback_failed_is_caught(tmp_path):
    record = rehearsal(tmp_path, checks=[{"id": "RBK-01", "outcome": "failed", "message": "orders differ"},
                                         {"id": "RBK-02", "outcome": "passed"}])
    assert record.rollback_problems() == ["RBK-01 failed: orders differ", "RBK-03 not in the rehearsal record"]


def test_missing_rehearsal_record_is_caught(tmp_path):
    assert RehearsalRecord(tmp_path / "none.json").problems("v13.4.0", 7, NOW) == [
        f"no rehearsal record at {tmp_path / 'none.json'}"]


# PRE-05 ------------------------------------------------------------------------------
def test_notification_answered_in_the_notifier_format(tmp_path):
    path = tmp_path / "notifications.jsonl"
    lines = [{"ts": (NOW - timedelta(minutes=30)).isoformat(), "event": "start", "status": "sent", "http_status": 200},
             {"ts": (NOW - timedelta(days=3)).isoformat(), "event": "start", "status": "sent", "http_status": 200}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    assert len(NotificationRecord(path).answered_since(NOW - timedelta(hours=24))) == 1


def test_notification_not_answered_is_caught(tmp_path):
    path = tmp_path / "notifications.jsonl"
    path.write_text(json.dumps({"ts": NOW.isoformat(), "status": "failed", "http_status": 500}) + "\n")
    record = NotificationRecord(path)
    assert record.answered_since(NOW - timedelta(hours=24)) == [] and not record.only_skipped()


def test_notification_without_webhook_is_a_manual_item(tmp_path):
    path = tmp_path / "notifications.jsonl"
    path.write_text(json.dumps({"ts": NOW.isoformat(), "status": "skipped", "http_status": None}) + "\n")
    assert NotificationRecord(path).only_skipped()


# PRE-06 ------------------------------------------------------------------------------
def test_full_access_has_no_findings(gate_db):
    db = TargetDb.connect(gate_db.dsn, gate_db.name)
    assert db.tables_without_select() == [] and db.schemas_without_usage() == []
    assert db.server_major >= 15


def test_missing_privilege_is_caught(gate_db, gate_pg):
    gate_db.execute("CREATE ROLE half_user LOGIN PASSWORD 'half'; "
                    "GRANT SELECT ON ALL TABLES IN SCHEMA public TO half_user; "
                    "GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO half_user; "
                    "REVOKE SELECT ON orders FROM half_user")
    dsn = gate_db.dsn.replace(f"{gate_pg.user}:{gate_pg.password}@", "half_user:half@")
    db = TargetDb.connect(dsn, gate_db.name)
    assert db.tables_without_select() == ["orders"]
    db.close()
    gate_db.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM half_user; "
                    "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM half_user; DROP ROLE half_user")


def test_unreachable_target_fails_to_connect():
    with pytest.raises(psycopg.OperationalError):
        TargetDb.connect("postgresql://nobody:pw@127.0.0.1:1/none", "none")


# PRE-07 ------------------------------------------------------------------------------
BUDGET = sum(STEP_BUDGETS_S.values())


def test_inside_the_window_with_room():
    window = Window("02:00", "04:00", "Europe/Moscow")
    assert window.contains(NOW) and window.fits(BUDGET, NOW)


def test_outside_the_window_is_caught():
    window = Window("02:00", "04:00", "Europe/Moscow")
    afternoon = datetime(2026, 1, 24, 14, 0, tzinfo=MSK)
    assert not window.contains(afternoon) and not window.fits(BUDGET, afternoon)
    assert not window.contains(datetime(2026, 1, 24, 4, 0, tzinfo=MSK))


def test_too_late_in_the_window_for_the_steps_is_caught():
    late = datetime(2026, 1, 24, 2, 50, tzinfo=MSK)
    window = Window("02:00", "04:00", "Europe/Moscow")
    assert window.contains(late) and window.remaining_s(late) == 70 * 60
    assert not window.fits(BUDGET, late)


def test_window_is_tz_aware_and_can_span_midnight():
    utc_time = datetime(2026, 1, 23, 23, 30, tzinfo=UTC)  # 02:30 MSK
    assert Window("02:00", "04:00", "Europe/Moscow").contains(utc_time)
    assert Window("23:00", "01:00", "UTC").remaining_s(utc_time) == 90 * 60


def test_open_window_for_rehearsals():
    assert Window("02:00", "04:00", "Europe/Moscow", always_open=True).fits(BUDGET, datetime(2026, 1, 24, 14, 0, tzinfo=MSK))


def test_webhook_down_makes_pre05_a_manual_item_not_a_no_go(tmp_path):
    """Issue 14: the webhook's port is closed; the window's start post fails; PRE-05 must not stop the window."""
    import os
    import socket
    import subprocess
    import sys

    from gate.run import Run
    from gate.settings import load_settings
    from gate.window.__main__ import _notify

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env_file = tmp_path / "target.env"
    env_file.write_text(f"NOTIFY_WEBHOOK_URL=http://127.0.0.1:{port}/hooks/T0/B0/x\nNOTIFY_TIMEOUT_S=2\n"
                        "WINDOW_OPEN=true\n")
    run = Run.open(tmp_path / "run")
    _notify("start", run, load_settings({}, env_file))  # what `make migrate` does first, with the real notifier
    posted = [json.loads(line) for line in (run.dir / "notifications.jsonl").read_text().splitlines()]
    assert posted and all(p["status"] == "failed" for p in posted), posted
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("NOTIFY_", "DATABASE_"))},
           "RUN_DIR": str(run.dir), "ENV_FILE": str(env_file)}
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--check", "PRE-05", "-q"],
                          cwd=repo, env=env, capture_output=True, text=True, check=False, timeout=300)
    summary = json.loads((run.dir / "summary.json").read_text())
    row = {r["id"]: r for r in summary["checks"]}["PRE-05"]
    assert row["outcome"] == "skipped" and "took no notification" in row["message"], proc.stdout[-2000:]
    assert "notify #tech-alerts by hand" in row["message"] and "Connect" in row["message"], row
    assert [m["id"] for m in summary["manual_items"]] == ["PRE-05"]
    assert summary["verdict"] == "GO" and proc.returncode == 0, proc.stdout[-2000:]
