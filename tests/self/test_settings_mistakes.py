"""Settings mistakes a person makes at 2 AM (issue 14, point 6): each one named, none silent."""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_a_bad_setting_stops_the_preflight_naming_the_setting_not_pre_01(tmp_path: Path) -> None:
    env_file = tmp_path / "target.env"
    env_file.write_text("BURST_REQUESTS=lots\nWINDOW_OPEN=true\nDATABSE_URL=postgresql://u@h/db\n")
    env = {**{k: v for k, v in os.environ.items() if k not in ("RUN_DIR", "RUN_ID")},
           "ENV_FILE": str(env_file), "RUN_DIR": str(tmp_path / "run")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "preflight"],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"settings: BURST_REQUESTS (from {env_file}:1)" in proc.stderr  # the setting decides, not PRE-01
    assert "PRE-01" not in proc.stdout + proc.stderr
    assert "did you mean DATABASE_URL?" in proc.stdout + proc.stderr
