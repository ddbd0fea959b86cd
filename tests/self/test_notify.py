"""The window's Slack-compatible notifications, against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gate.notify import notify, was_notified
from gate.notify.notifier import RECORD_NAME, read_record
from rehearse.report_sample import SECRET_URL, make_sample_run

REPO = Path(__file__).resolve().parents[2]
SECRET_PASSWORD = "Sup3rS3cret-pw"
HOOK_PATH = "/services/T0GATE/B0GATE/hook-secret-token-123"


@dataclass
class Receiver:
    """A Slack-like incoming webhook: records each JSON body, answers ``status`` with ``ok``."""

    url: str
    bodies: list[dict[str, object]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.bodies.append(json.loads(self.rfile.read(length)))
            state.paths.append(self.path)
            self.send_response(state.status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if state.status == 200 else b"invalid_token")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}{HOOK_PATH}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{HOOK_PATH}"


def _no_secret(text: str) -> None:
    assert SECRET_PASSWORD not in text
    assert "hook-secret-token-123" not in text


def test_start_verdict_end_are_posted_and_recorded(tmp_path: Path, receiver: Receiver) -> None:
    run_dir = make_sample_run(tmp_path, "ROLLBACK", with_allure=False)
    for event in ("start", "verdict", "end"):
        attempts = notify(event, run_dir, receiver.url)
        assert [a.status for a in attempts] == ["sent"]
    assert len(receiver.bodies) == 3 and receiver.paths == [HOOK_PATH] * 3
    verdict_body = receiver.bodies[1]
    assert set(verdict_body) == {"text", "blocks"}
    text = str(verdict_body["text"])
    assert "*ROLLBACK*" in text and "Deciding check: IMP-01" in text
    assert f"Sign-off page: {(run_dir / 'signoff.html').resolve()}" in text
    assert verdict_body["blocks"] == [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    assert "migration window started" in str(receiver.bodies[0]["text"])
    record = read_record(run_dir)
    assert [(r["event"], r["status"], r["http_status"], r["answer"]) for r in record] == [
        ("start", "sent", 200, "ok"), ("verdict", "sent", 200, "ok"), ("end", "sent", 200, "ok")]  # fmt: skip
    assert all(str(r["webhook"]).startswith("http://127.0.0.1:") and str(r["webhook"]).endswith("/***") for r in record)
    raw = (run_dir / RECORD_NAME).read_text() + json.dumps(receiver.bodies)
    _no_secret(raw)
    assert SECRET_URL not in raw
    assert was_notified(run_dir, "start")[0] is True


def test_a_go_verdict_is_not_announced_but_the_end_is(tmp_path: Path, receiver: Receiver) -> None:
    run_dir = make_sample_run(tmp_path, "GO", with_allure=False)
    assert [a.status for a in notify("verdict", run_dir, receiver.url)] == ["skipped"]
    assert [a.status for a in notify("end", run_dir, receiver.url)] == ["sent"]
    assert len(receiver.bodies) == 1 and "*GO*" in str(receiver.bodies[0]["text"])


def test_a_webhook_that_is_down_is_recorded_and_does_not_raise(tmp_path: Path) -> None:
    run_dir = make_sample_run(tmp_path, "MONITOR", with_allure=False)
    url = _closed_port_url()
    attempts = notify("verdict", run_dir, url, timeout=2)
    assert [a.status for a in attempts] == ["failed", "failed"]
    assert all(a.http_status is None and "ConnectionError" in (a.error or "") for a in attempts)
    record = read_record(run_dir)
    assert len(record) == 2 and record[0]["error"] == attempts[0].error
    delivered, reason = was_notified(run_dir, "verdict")
    assert delivered is False and "ConnectionError" in reason
    _no_secret((run_dir / RECORD_NAME).read_text())


def test_a_rejecting_webhook_is_recorded_with_its_answer(tmp_path: Path, receiver: Receiver) -> None:
    receiver.status = 403
    run_dir = make_sample_run(tmp_path, "HOTFIX", with_allure=False)
    attempts = notify("end", run_dir, receiver.url)
    assert [(a.status, a.http_status, a.answer) for a in attempts] == [("failed", 403, "invalid_token")]


def test_without_a_webhook_nothing_is_posted_and_that_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_WEBHOOK_URL", raising=False)
    run_dir = make_sample_run(tmp_path, "NO-GO", with_allure=False)
    attempts = notify("start", run_dir)
    assert attempts[0].status == "skipped" and "NOTIFY_WEBHOOK_URL not set" in (attempts[0].error or "")
    assert read_record(run_dir)[0]["status"] == "skipped"


def test_a_secret_in_the_run_never_reaches_the_channel(tmp_path: Path, receiver: Receiver) -> None:
    run_dir = make_sample_run(tmp_path, "ROLLBACK", with_allure=False)
    summary = json.loads((run_dir / "summary.json").read_text())
    summary["target"] = SECRET_URL
    summary["decision"]["matrix_row"] = f"import failed talking to {SECRET_URL}"
    (run_dir / "summary.json").write_text(json.dumps(summary))
    notify("verdict", run_dir, receiver.url)
    sent = json.dumps(receiver.bodies)
    _no_secret(sent)
    _no_secret((run_dir / RECORD_NAME).read_text())
    assert "postgresql://gate:***@db.internal:5432/freesport" in sent


def test_cli_warns_and_exits_zero_when_the_webhook_is_down(tmp_path: Path) -> None:
    run_dir = make_sample_run(tmp_path, "ROLLBACK", with_allure=False)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "NOTIFY_WEBHOOK_URL": _closed_port_url(), "NOTIFY_TIMEOUT_S": "2"}
    proc = subprocess.run([sys.executable, "-m", "gate.notify", "verdict", "--run-dir", str(run_dir)],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0
    assert "NOT delivered" in proc.stderr and "the window goes on" in proc.stderr
    _no_secret(proc.stderr + proc.stdout)
    strict = subprocess.run([sys.executable, "-m", "gate.notify", "end", "--strict", "--run-dir", str(run_dir)],
                            cwd=REPO, env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert strict.returncode == 1


def test_start_works_before_the_run_has_a_summary(tmp_path: Path, receiver: Receiver) -> None:
    run_dir = tmp_path / "20261124T015800Z-window"
    attempts = notify("start", run_dir, receiver.url)
    assert attempts[0].status == "sent" and attempts[0].run_id == run_dir.name
    assert "run 20261124T015800Z-window" in str(receiver.bodies[0]["text"])
    assert read_record(run_dir)[0]["event"] == "start"
