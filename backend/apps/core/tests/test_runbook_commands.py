"""Runbook lines that are plain Django commands work on this backend as typed."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_dbshell_dash_c(capfd: pytest.CaptureFixture[str]) -> None:
    """Troubleshooting: ``python manage.py dbshell -c "SELECT 1;"``."""
    call_command("dbshell", "-c", "SELECT 1 AS ok;")
    assert "ok" in capfd.readouterr().out


def test_collectstatic_noinput(tmp_path: Path) -> None:
    """Step 3: ``python manage.py collectstatic --noinput``."""
    with override_settings(STATIC_ROOT=tmp_path):
        call_command("collectstatic", "--noinput", stdout=StringIO())
    assert any(tmp_path.rglob("*.css"))


def test_no_pending_migrations_at_v134() -> None:
    """Step 4: ``showmigrations`` has no ``[ ]`` after ``migrate`` (``migrate --check`` exits 0)."""
    call_command("migrate", "--check", stdout=StringIO())
