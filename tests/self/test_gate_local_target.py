"""``make local-target``: v13.3 seeded and served, settings written, twice is harmless, down removes all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import requests

from gate.settings import load_settings

REPO = Path(__file__).resolve().parents[2]


def local_target(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rehearse.local_target", command], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def test_local_target_up_twice_then_down(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "LOCAL_TARGET_DIR": str(tmp_path / "lt"),
           "LOCAL_TARGET_ENV_FILE": str(tmp_path / "local.env"), "DISPOSABLE_PG": "local"}
    try:
        first = local_target("up", env)
        assert first.returncode == 0, first.stdout + first.stderr
        state = json.loads((tmp_path / "lt" / "state.json").read_text())
        assert state["status"] == "ready"
        assert oct((tmp_path / "local.env").stat().st_mode)[-3:] == "600"
        settings = load_settings(environ={"ENV_FILE": str(tmp_path / "local.env")})
        assert settings.window_open and settings.base_url == state["base_url"]
        assert requests.get(settings.api_url("health/"), timeout=5).status_code == 200
        with psycopg.connect(settings.dsn()) as conn:
            products = [r[0] for r in conn.execute("SELECT name FROM django_migrations WHERE app = 'products'")]
            assert products == ["0001_initial"]
            columns = {r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'products'")}
            assert {"sku", "parent_onec_id", "retail_price"} <= columns
            if "seeded:" in state["seeded"]:
                assert conn.execute("SELECT count(*) FROM products").fetchone()[0] > 0
        second = local_target("up", env)
        assert second.returncode == 0 and "already running" in second.stdout
        assert json.loads((tmp_path / "lt" / "state.json").read_text())["daemon_pid"] == state["daemon_pid"]
    finally:
        down = local_target("down", env)
    assert down.returncode == 0 and "stopped and removed" in down.stdout
    assert not (tmp_path / "lt").exists() and not (tmp_path / "local.env").exists()
    for pid in (state["daemon_pid"], state["gunicorn_pid"]):
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
