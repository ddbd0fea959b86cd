"""Settings mean what they say (issue 11, item 4): the window lints and runs the commands it will run.

Maintenance commands, import and flush arguments come from settings (empty is a valid value, never a
fallback); RUN-03 resolves the 1C URL ONE-01 calls; ``manage()`` in the step scripts runs with the
target's PYTHONPATH, never the gate's.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gate.runbook.linter import Linter
from gate.settings import Settings
from gate.window.window_manifest import window_lines

REPO = Path(__file__).resolve().parents[2]
FAKE_MANAGE = '#!/usr/bin/env bash\necho "PYTHONPATH=${PYTHONPATH-<unset>}"\necho "ARGS=$*"\n'


def texts(settings: Settings) -> list[str]:
    return [line.text for line in window_lines(settings)]


def test_configured_maintenance_commands_replace_maintenance_mode_in_the_manifest():
    default = texts(Settings())
    assert "python manage.py maintenance_mode on" in default
    custom = texts(Settings(maintenance_on_cmd="touch /srv/maintenance.flag",
                            maintenance_off_cmd="rm -f /srv/maintenance.flag"))
    assert not any("maintenance_mode" in t for t in custom)
    assert "touch /srv/maintenance.flag" in custom and "rm -f /srv/maintenance.flag" in custom


def test_a_configured_maintenance_command_is_linted_as_run(tmp_path, monkeypatch):
    (tmp_path / "empty.env").write_text("")
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "empty.env"))
    monkeypatch.setenv("SECRET_KEY", "self-test")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/nothing")
    settings = Settings(maintenance_on_cmd="no-such-maintenance-tool on", maintenance_off_cmd="true")
    linter = Linter(settings)
    lines = window_lines(settings)
    linter.prepare(lines)
    reports = {line.text: linter.lint_line(line) for line in lines}
    assert reports["no-such-maintenance-tool on"].status == "drift"
    assert "no-such-maintenance-tool: not found on PATH" in reports["no-such-maintenance-tool on"].detail


def test_import_and_flush_arguments_come_from_settings_and_may_be_empty():
    lines = texts(Settings(import_args="", flush_dry_run_args="--dry-run", flush_args="--yes"))
    assert "python manage.py import_products_from_1c --data-dir /data" in lines
    assert "python manage.py flush_products --dry-run" in lines and "python manage.py flush_products --yes" in lines
    assert not any("--format json" in t or "--full" in t for t in lines)
    assert "python manage.py import_products_from_1c --full --data-dir /data" in texts(Settings())


def test_run03_resolves_the_1c_url_one01_calls():
    settings = Settings(api_prefix="/api/v1", onec_healthcheck_url="http://shop:8000/api/integration/1c/exchange/")
    assert settings.onec_url == "http://shop:8000/api/integration/1c/exchange/"
    onec = [t for t in texts(settings) if "integration/1c" in t]
    assert onec == ["curl -fsS http://localhost:8000/api/integration/1c/exchange/"]
    assert texts(Settings(api_prefix="/api/v1"))[-1] == "curl -fsS http://localhost:8000/api/v1/integration/1c/exchange/"


def _run_step(script: str, tmp_path: Path, **env: str) -> str:
    fake = tmp_path / "manage.sh"
    fake.write_text(FAKE_MANAGE)
    fake.chmod(0o755)
    base = {"PATH": os.environ["PATH"], "RUN_DIR": str(tmp_path), "MANAGE_CMD": str(fake),
            "BACKEND_DIR": str(tmp_path), "ONEC_DATA_DIR": "/srv/1c",
            "GATE_WINDOW_STEPS": script.removesuffix(".sh")}  # a window of this one step: no earlier step to wait for
    proc = subprocess.run(["bash", str(REPO / "scripts" / "steps" / script)], env={**base, **env},
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_empty_import_args_run_the_importer_without_arguments(tmp_path):
    assert "ARGS=import_products_from_1c --data-dir /srv/1c" in _run_step("import.sh", tmp_path, IMPORT_ARGS="")
    assert "ARGS=import_products_from_1c --full --data-dir /srv/1c" in _run_step("import.sh", tmp_path)


def test_flush_dry_run_arguments_are_a_setting(tmp_path):
    _run_step("flush_dry_run.sh", tmp_path, FLUSH_DRY_RUN_ARGS="--dry-run")
    assert "ARGS=flush_products --dry-run\n" in (tmp_path / "flush_plan.json").read_text()


def test_manage_runs_with_the_targets_pythonpath_never_the_gates(tmp_path):
    out = _run_step("import.sh", tmp_path, PYTHONPATH="/srv/freesport/pylib")
    assert "PYTHONPATH=/srv/freesport/pylib\n" in out
    assert "PYTHONPATH=<unset>" in _run_step("import.sh", tmp_path)
