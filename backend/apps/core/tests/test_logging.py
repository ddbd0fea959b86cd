"""Logs under LOG_DIR in the shapes the gate parses; settings fail naming the wrong variable."""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BACKEND = Path(__file__).resolve().parents[3]


def test_django_log_has_one_line_per_record_even_with_a_traceback() -> None:
    log = Path(settings.LOG_DIR) / "django.log"
    before = log.read_text(encoding="utf-8").count("\n") if log.exists() else 0
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        logging.getLogger("apps.test").exception("import failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == before + 1
    date, time, level, name, *message = lines[-1].split(" ")
    assert (level, name) == ("ERROR", "apps.test")
    assert " ".join(message).startswith("import failed")
    assert "Traceback" in lines[-1]


def test_gunicorn_access_log_ends_with_request_time_and_has_status() -> None:
    spec = importlib.util.spec_from_file_location("gunicorn_conf", BACKEND / "gunicorn.conf.py")
    assert spec and spec.loader
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert conf.access_log_format.endswith(" request_time %(L)s")
    assert "%(s)s" in conf.access_log_format
    assert conf.accesslog == str(Path(os.environ["LOG_DIR"]).resolve() / "access.log")


def _import_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "import freesport.settings"], cwd=BACKEND, env={**clean, **env},
        capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": "x"}, "DATABASE_URL is not set"),
        ({"DATABASE_URL": "postgresql://u:p@h/db"}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "x", "DATABASE_URL": "sqlite:///db.sqlite3"}, "DATABASE_URL must be a PostgreSQL URL"),
        ({"SECRET_KEY": "x", "DATABASE_URL": "postgresql://u:p@h/db", "DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
    ],
)
def test_settings_name_the_missing_or_invalid_variable(env: dict[str, str], message: str) -> None:
    result = _import_settings(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_settings_error_never_echoes_the_database_password() -> None:
    result = _import_settings({"SECRET_KEY": "x", "DATABASE_URL": "mysql://u:hunter2@h/db"})
    assert "hunter2" not in result.stderr.splitlines()[-1]
