"""The backend under gunicorn writes the access log the gate's latency/error checks parse."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

from disposable_pg.base import connection_url
from disposable_pg.local import free_port

BACKEND = Path(__file__).resolve().parents[3]


@pytest.fixture
def gunicorn_url(db: None, tmp_path: Path):
    s = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "freesport.settings",
        "DATABASE_URL": connection_url(s["USER"], s["PASSWORD"], s["HOST"], int(s["PORT"]), s["NAME"]),
        "LOG_DIR": str(tmp_path),
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
        "WEB_CONCURRENCY": "1",
    }
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=BACKEND, env=env,
                            start_new_session=True)
    url = f"http://{env['GUNICORN_BIND']}"
    try:
        for _ in range(150):
            try:
                requests.get(f"{url}/api/health/", timeout=5)
                break
            except requests.RequestException:
                assert proc.poll() is None, "gunicorn exited"
                time.sleep(0.1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def test_access_log_has_status_and_ends_with_request_time(gunicorn_url: str, tmp_path: Path) -> None:
    assert requests.get(f"{gunicorn_url}/api/products/", timeout=5).status_code == 200
    assert requests.get(f"{gunicorn_url}/api/products/missing/", timeout=5).status_code == 404
    time.sleep(0.3)
    lines = [line for line in (tmp_path / "access.log").read_text().splitlines() if "/api/products/" in line]
    assert len(lines) == 2
    for line, status in zip(lines, ("200", "404"), strict=True):
        fields = line.split()
        assert fields[-2] == "request_time"
        assert 0 <= float(fields[-1]) < 10  # seconds: the runbook's awk '{sum+=$NF}'
        assert f'" {status} ' in line
    assert "WARNING django.request Not Found: /api/products/missing/" in (tmp_path / "django.log").read_text()
