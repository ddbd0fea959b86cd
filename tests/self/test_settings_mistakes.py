"""Settings mistakes a person makes at 2 AM (issue 14, point 6): each one named, none silent."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from gate.settings import SettingsWarning, load_settings

REPO = Path(__file__).resolve().parents[2]


def test_a_misspelt_setting_beside_the_right_one_is_named_with_file_and_line(tmp_path: Path) -> None:
    env_file = tmp_path / "target.env"
    env_file.write_text("DATABASE_URL=postgresql://u@h/db\nDATABSE_URL=postgresql://u@other/db\n")
    with pytest.warns(SettingsWarning, match=rf"{env_file}:2: DATABSE_URL is not a setting .* DATABASE_URL\?"):
        settings = load_settings({}, env_file)
    assert settings.target == "postgresql://u@h:5432/db"


def _make_preflight(env_file: Path, run_dir: Path) -> subprocess.CompletedProcess[str]:
    """``make preflight ENV_FILE=…`` as a person runs it."""
    env = {**{k: v for k, v in os.environ.items() if k not in ("RUN_DIR", "RUN_ID", "DATABASE_URL")},
           "ENV_FILE": str(env_file), "RUN_DIR": str(run_dir)}
    return subprocess.run(["make", "--no-print-directory", "preflight"], cwd=REPO, env=env, capture_output=True,
                          text=True, check=False, timeout=300)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_make_preflight_warns_once_on_stderr_and_records_the_misspelt_key(tmp_path: Path) -> None:
    env_file = tmp_path / "target.env"
    env_file.write_text(f"WINDOW_OPEN=true\nDATABASE_URL=postgresql://u@127.0.0.1:{_closed_port()}/db\n"
                        "DATABSE_URL=postgresql://u@other/db\nPATH_EXTRA=not-a-setting-nor-close\n")
    proc = _make_preflight(env_file, tmp_path / "run")
    warning = f"{env_file}:3: DATABSE_URL is not a setting and is ignored: did you mean DATABASE_URL?"
    assert proc.stderr.count(warning) == 1, proc.stderr[-3000:]  # once, in one line, not per load or per test
    assert "SettingsWarning" not in proc.stdout + proc.stderr and "PATH_EXTRA" not in proc.stdout + proc.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["settings_warnings"] == [warning]
    unwrapped = "".join(proc.stdout.split())  # the console wraps long lines
    assert "".join(f"settings WARNING: {warning}".split()) in unwrapped  # under the verdict, as gate.console prints


def test_a_bad_setting_stops_make_preflight_naming_the_setting_not_pre_01(tmp_path: Path) -> None:
    env_file = tmp_path / "target.env"
    env_file.write_text("BURST_REQUESTS=lots\nWINDOW_OPEN=true\nDATABSE_URL=postgresql://u@h/db\n")
    proc = _make_preflight(env_file, tmp_path / "run")
    assert "Error 2" in proc.stderr, proc.stdout[-3000:] + proc.stderr[-3000:]  # make's own line: pytest exit 2
    first = proc.stderr.splitlines()
    deciding = [line for line in first if line.startswith("settings: ")]
    assert deciding == [f"settings: BURST_REQUESTS (from {env_file}:1): Input should be a valid integer, "
                        "unable to parse string as an integer"], proc.stderr  # the setting decides, not PRE-01
    assert "PRE-01" not in proc.stdout + proc.stderr and "Traceback" not in proc.stdout + proc.stderr
    assert "did you mean DATABASE_URL?" in proc.stderr
    assert not (tmp_path / "run" / "summary.json").exists()  # no check ran: no verdict is recorded as if one had
