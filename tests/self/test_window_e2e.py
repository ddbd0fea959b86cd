"""The whole window on a throw-away v13.3 FreeSport: GO, every id listed, then faults caught on the migrated target.

One scratch target (disposable PostgreSQL, bundled backend seeded at v13.3, gunicorn) serves the
whole module: the window runs once as ``make migrate`` runs it, then each fault is injected into
the migrated database and the check that exists for it is re-run into the same run.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest

from gate import checks
from gate.settings import read_env_file
from rehearse.backend import PYTHON as PY
from rehearse.scratch import scratch_target

REPO = Path(__file__).resolve().parents[2]


def window(env_file: Path, *args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENV_FILE": str(env_file), "GATE_LIVE": "0", "PYTHONPATH": str(REPO), **(extra or {})}
    env.pop("RUN_DIR", None)
    env.pop("RUN_ID", None)
    return subprocess.run([PY, "-m", "gate.window", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900)


class _Receiver(BaseHTTPRequestHandler):
    """A Slack-compatible incoming webhook on loopback: keeps every posted body."""

    bodies: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        type(self).bodies.append(json.loads(self.rfile.read(length) or b"{}"))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def webhook():
    """A real HTTP receiver for the window's #tech-alerts messages."""
    _Receiver.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/services/T000/B000/hook", _Receiver.bodies
    server.shutdown()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory, webhook):
    """The scratch target after a full ``migrate --confirm``: (env file, values, summary, process)."""
    directory = tmp_path_factory.mktemp("window-e2e")
    with scratch_target(directory, pg_choice=os.environ.get("DISPOSABLE_PG", "local")) as env_file:
        proc = window(env_file, "migrate", "--confirm",
                      extra={"MIGRATE_ONE_BY_ONE": "yes", "NOTIFY_WEBHOOK_URL": webhook[0]})
        values = {k: v for k, (v, _) in read_env_file(env_file).items()}
        latest = Path(values["RUNS_ROOT"]) / "latest"
        summary = json.loads((latest / "summary.json").read_text())
        yield env_file, values, summary, proc, latest.resolve()


def rows(run_dir: Path) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads((run_dir / "summary.json").read_text())["checks"]}


def test_the_whole_window_ends_go_with_every_id_from_pre_01_to_mnt_02(migrated):
    _, values, summary, proc, run_dir = migrated
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert summary["verdict"] == "GO"
    listed = {r["id"] for r in summary["checks"]}
    wanted = [c.id for c in checks.CHECKS.values() if not c.synthetic and c.phase.value not in ("rollback", "monitor")]
    assert not set(wanted) - listed
    for row in summary["checks"]:
        assert row["outcome"] in ("passed", "skipped"), row
        if row["outcome"] == "skipped":
            assert row["message"], f"{row['id']} skipped without a reason"
    steps = {s["name"]: s for s in summary["steps"]}
    assert [n for n in steps] == ["backup", "maintenance_on", "deploy", "migrate", "pre_import", "flush_dry_run",
                                  "flush", "import", "maintenance_off", "smoke"]
    assert all(s["exit_code"] == 0 and s["budget_s"] for s in steps.values())
    assert summary["destructive_started"] is True
    timings = [json.loads(line) for line in (run_dir / "migrations" / "timings.jsonl").read_text().splitlines()]
    assert [t["migration"] for t in timings] == values.get("EXPECTED_PLAN", "").split(",") or len(timings) == 3
    assert all(t["duration_s"] > 0 and t["db_size_after"] > 0 for t in timings)
    from urllib.parse import urlsplit

    secrets = [values["ONEC_EXCHANGE_PASSWORD"], urlsplit(values["DATABASE_URL"]).password]
    printed = proc.stdout + proc.stderr
    for path in run_dir.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".jsonl", ".log", ".txt", ".sql"):
            printed += path.read_text(errors="replace")
    for secret in secrets:
        assert secret and secret not in printed


def test_the_window_posts_start_and_end_and_pre_05_reads_the_answer(migrated, webhook):
    _, _, summary, _, run_dir = migrated
    url, bodies = webhook
    texts = [b.get("text", "") for b in bodies]
    assert len(texts) == 2, texts  # start + end; a GO verdict is not announced on its own
    assert "GO" in texts[-1] and "/services/" not in " ".join(texts)
    events = [json.loads(line) for line in (run_dir / "notifications.jsonl").read_text().splitlines()]
    assert [(e["event"], e["status"]) for e in events] == [("start", "sent"), ("verdict", "skipped"), ("end", "sent")]
    assert rows(run_dir)["PRE-05"]["outcome"] == "passed"


def test_postflight_alone_re_runs_every_pst_check_into_the_run(migrated):
    env_file, _, _, _, run_dir = migrated
    ids = ",".join(c.id for c in checks.by_phase("postflight"))
    proc = window(env_file, "checks", ids, "--xdist", extra={"RUN_DIR": str(run_dir)})
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert all(rows(run_dir)[i]["outcome"] == "passed" for i in ids.split(","))


def test_a_completed_window_is_never_repeated_silently(migrated):
    env_file, _, _, _, run_dir = migrated
    proc = window(env_file, "migrate", "--confirm", "--from", "flush", extra={"RUN_DIR": str(run_dir)})
    assert proc.returncode == 3 and "already completed" in proc.stdout


def _db(values: dict[str, str]) -> psycopg.Connection:
    return psycopg.connect(values["DATABASE_URL"], autocommit=True)


def test_faults_on_the_migrated_target_fail_their_checks(migrated):
    env_file, values, _, _, run_dir = migrated
    extra = {"RUN_DIR": str(run_dir)}
    with _db(values) as conn:
        conn.execute("INSERT INTO orders (order_number, status, total_amount, customer_email, created_at, updated_at)"
                     " VALUES ('FAULT-1', 'pending', 1, '', now(), now())")
        slug = conn.execute("SELECT slug FROM products WHERE is_active ORDER BY md5(slug || '13'), slug LIMIT 1"
                            ).fetchone()[0]
        conn.execute("DELETE FROM product_variants WHERE product_id = (SELECT id FROM products WHERE slug = %s)",
                     (slug,))
        conn.execute("DELETE FROM django_migrations WHERE app = 'products' AND name LIKE '0004%'")
    proc = window(env_file, "checks", "PST-02,PST-05,PST-07,PST-10", extra=extra)
    found = rows(run_dir)
    assert found["PST-07"]["outcome"] == "failed" and "orders: rows" in found["PST-07"]["message"]
    assert found["PST-05"]["outcome"] == "failed" and f"{slug}: variants[] is empty" in found["PST-05"]["message"]
    assert found["PST-02"]["outcome"] == "failed"
    assert found["PST-10"]["outcome"] == "failed" and "0004" in found["PST-10"]["message"]
    assert proc.returncode == 20, proc.stdout[-2000:]
    with _db(values) as conn:
        conn.execute("UPDATE products SET is_active = false WHERE slug = %s", (slug,))
    window(env_file, "checks", "PST-01", extra=extra)
    assert "active products in the database" in rows(run_dir)["PST-01"]["message"]
    with _db(values) as conn:
        conn.execute("DELETE FROM color_mappings WHERE id IN (SELECT id FROM color_mappings ORDER BY id LIMIT 1)")
    window(env_file, "checks", "COL-01,PST-03,FLS-02", extra=extra)
    found = rows(run_dir)
    assert found["COL-01"]["outcome"] == found["PST-03"]["outcome"] == "failed"
    assert "19 color mappings < 20" in found["PST-03"]["message"]
    assert found["FLS-02"]["outcome"] == "failed" and "rows left after the flush" in found["FLS-02"]["message"]
    proc = window(env_file, "checks", "ONE-01", extra={**extra, "ONEC_EXCHANGE_PASSWORD": "wrong"})
    assert rows(run_dir)["ONE-01"]["outcome"] == "failed" and "not success" in rows(run_dir)["ONE-01"]["message"]
