"""No secret in any output: each failure mode, run for real, with known secrets; every byte it wrote or printed is grepped.

The failure modes of issue 14: the target's port closed, a wrong password (a real PostgreSQL with
scram-sha-256), a DATABASE_URL that does not parse, a webhook that is down and a 1C that refuses
(both in every run). ``make preflight`` (pytest ``-m preflight``) and ``make migrate`` are run as a
person runs them; stdout, stderr and every file under the run and backup directories are searched.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
DB_PASSWORD = "Pw4Known1xDb"
SECRETS = {
    "database password": DB_PASSWORD,
    "webhook": "HookSecret77x",
    "1C URL password": "OnecUrlPw55x",
    "1C exchange password": "OnecPw66secret",
    "CI token": "CiTok88secret",
}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env_file(tmp_path: Path, database_url: str) -> Path:
    port = _closed_port()
    path = tmp_path / "target.env"
    path.write_text(
        f"DATABASE_URL={database_url}\n"
        f"NOTIFY_WEBHOOK_URL=http://127.0.0.1:{port}/hooks/T00/B00/{SECRETS['webhook']}\n"
        f"ONEC_HEALTHCHECK_URL=http://onec:{SECRETS['1C URL password']}@127.0.0.1:{port}/health\n"
        f"ONEC_EXCHANGE_USER=onec\nONEC_EXCHANGE_PASSWORD={SECRETS['1C exchange password']}\n"
        f"CI_TOKEN={SECRETS['CI token']}\nCI_REPO=freesport/shop\nCI_API_URL=http://127.0.0.1:{port}\n"
        f"BASE_URL=http://127.0.0.1:{port}\nWINDOW_OPEN=true\n"
        f"RUN_DIR={tmp_path / 'run'}\nBACKUP_DIR={tmp_path / 'backups'}\n"
    )
    return path


def _leaks(tmp_path: Path, printed: str) -> list[str]:
    found = [f"{name} printed" for name, value in SECRETS.items() if value in printed]
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file() and p.name != "target.env"):
        data = path.read_bytes()
        found += [f"{name} in {path.relative_to(tmp_path)}" for name, value in SECRETS.items()
                  if value.encode() in data]
    return found


def _run(argv: list[str], env_file: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUN_", "DATABASE_", "NOTIFY_", "ONEC_"))}
    env |= {"ENV_FILE": str(env_file), "DISPOSABLE_PG": "local", "GATE_LIVE": "0", "PYTHONPATH": str(REPO)}
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)


def _url_with_password(url: str, password: str) -> str:
    p = urlsplit(url)
    return urlunsplit(p._replace(netloc=f"{p.username}:{password}@{p.hostname}:{p.port}"))


@pytest.mark.parametrize("mode", ["closed port", "wrong password", "bad url"])
def test_preflight_prints_and_writes_no_secret(mode: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if mode == "closed port":
        url = f"postgresql://gate:{DB_PASSWORD}@127.0.0.1:{_closed_port()}/shop"
    elif mode == "wrong password":
        url = _url_with_password(request.getfixturevalue("gate_db").dsn, DB_PASSWORD)
    else:
        url = f"postgresql://gate:{DB_PASSWORD}@127.0.0.1:notaport/shop"
    result = _run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "preflight"],
                  _env_file(tmp_path, url))
    printed = result.stdout + result.stderr
    assert result.returncode != 0, printed[-2000:]
    assert "NO-GO" in printed or "settings" in printed.lower(), printed[-2000:]
    assert _leaks(tmp_path, printed) == []


def test_window_prints_and_writes_no_secret(tmp_path: Path) -> None:
    url = f"postgresql://gate:{DB_PASSWORD}@127.0.0.1:{_closed_port()}/shop"
    result = _run([sys.executable, "-m", "gate.window", "migrate", "--confirm"], _env_file(tmp_path, url))
    printed = result.stdout + result.stderr
    assert result.returncode in (3, 10), printed[-2000:]
    assert _leaks(tmp_path, printed) == []


def test_scrub_report_masks_traceback_arguments() -> None:
    """The fault itself: pytest's long traceback shows ``conninfo = "... password=..."``."""
    from gate.plugin import scrub_report

    report = pytest.TestReport("x::y", ("x", 1, "y"), {}, "failed",
                               f'conninfo = "user=gate password={DB_PASSWORD} host=db"', "call",
                               [("Captured stderr", f"postgresql://gate:{DB_PASSWORD}@db/shop")])
    scrub_report(report, [DB_PASSWORD])
    assert DB_PASSWORD not in str(report.longrepr) + repr(report.sections)


@pytest.mark.parametrize("mode", ["webhook down", "1C refused"])
def test_a_reachable_target_with_webhook_down_or_1c_refused_prints_and_writes_no_secret(
        mode: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """The database answers; the webhook (the window's own post) or 1C (ONE-01's checkauth) is on a closed port."""
    env_file = _env_file(tmp_path, request.getfixturevalue("gate_db").dsn)
    if mode == "webhook down":
        argv = [sys.executable, "-m", "gate.notify", "start", "--run-dir", str(tmp_path / "run"), "--strict"]
    else:
        argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/window/test_onec.py",
                "--check", "ONE-01"]
    result = _run(argv, env_file)
    printed = result.stdout + result.stderr
    assert result.returncode != 0, printed[-2000:]  # it really failed: the post or the call was refused
    assert ("NOT delivered" if mode == "webhook down" else "ONE-01") in printed, printed[-2000:]
    assert _leaks(tmp_path, printed) == []
