"""Every tool the gate runs is the one the bootstrap found or installed, never one found only on the caller's PATH.

A fresh machine has no ``uv`` on PATH (the bootstrap puts it in ``var/tools/uv``); a developer's
machine may have other ones. The checks must behave the same on both.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import toolpaths

REPO = Path(__file__).resolve().parents[2]
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
DECOYS = ("uv", "pip", "initdb", "pg_ctl", "pg_dump", "pg_restore", "node", "chromium", "allure")
# RUN-02 checks the tools the runbook's shell steps will find on the operator's PATH: a PATH lookup by design.
PATH_LOOKUP_ALLOWED = {"gate/runbook/linter.py"}


def test_no_package_code_looks_tools_up_on_path() -> None:
    """``shutil.which`` appears nowhere in gate/, rehearse/ or disposable_pg/ but where PATH itself is the subject."""
    offenders = []
    for package in ("gate", "rehearse", "disposable_pg"):
        for path in sorted((REPO / package).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr == "which" and rel not in PATH_LOOKUP_ALLOWED:
                    offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, f"PATH lookups outside toolpaths: {offenders}"


def test_a_missing_record_names_the_make_target(tmp_path: Path) -> None:
    with pytest.raises(toolpaths.ToolMissing, match=r"uv: the bootstrap has not recorded it \(run `make bootstrap`\)"):
        toolpaths.find("uv", record_dir=tmp_path)
    (tmp_path / "chromium").write_text("/nonexistent/chromium\n")
    with pytest.raises(toolpaths.ToolMissing, match="which is not there"):
        toolpaths.find("chromium", record_dir=tmp_path)
    assert toolpaths.optional("chromium", record_dir=tmp_path) is None


PROBE = r"""
import json, subprocess
import toolpaths
from gate.settings import load_settings
from gate.window.deployed import requirements_check
from disposable_pg.local import find_bin_dir
from gate.report import browser
from gate.report.allure_report import allure_bin

settings = load_settings(environ={}, env_file=None)
ok, detail = requirements_check(settings)
pg_dump = settings.tool("pg_dump")
version = subprocess.run([pg_dump, "--version"], capture_output=True, text=True).stdout
print(json.dumps({"dep01": [ok, detail], "pg_dump": pg_dump, "pg_dump_version": version,
                  "initdb_dir": str(find_bin_dir()), "chromium": str(browser.chromium()),
                  "allure": str(allure_bin()), "node": str(toolpaths.optional("node"))}))
"""


def test_checks_ignore_tools_found_only_on_the_callers_path(tmp_path: Path) -> None:
    """DEP-01, the backup's client tools, disposable_pg and the report run with PATH = the system's directories
    plus a directory of decoys that fail: every tool used is the bootstrap's, and DEP-01 passes in a venv without pip."""
    import json

    for name in ("uv", "pg-bin"):
        assert toolpaths.optional(name) is not None, f"{name} not recorded: `make bootstrap` records it"
    decoys = tmp_path / "decoys"
    decoys.mkdir()
    for name in DECOYS:
        tool = decoys / name
        tool.write_text(f"#!/bin/sh\necho 'decoy {name} on the caller PATH was used' >&2\nexit 97\n")
        tool.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("PG_BIN_DIR", "CHROMIUM", "VIRTUAL_ENV")}
    env.update(PATH=f"{decoys}:{SYSTEM_PATH}", PYTHONPATH=str(REPO), HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["dep01"][0], f"DEP-01's requirements check failed without PATH tools: {got['dep01'][1]}"
    assert "uv pip check" in got["dep01"][1]
    has_pip = subprocess.run([str(REPO / ".venv/bin/python"), "-c", "import pip"], capture_output=True, check=False)
    assert has_pip.returncode != 0, "the uv-made venv has pip: this test no longer proves DEP-01 works without it"
    for key in ("pg_dump", "initdb_dir", "chromium", "allure", "node"):
        assert str(decoys) not in got[key], f"{key} came from the caller's PATH: {got[key]}"
    assert got["pg_dump_version"].startswith("pg_dump (PostgreSQL)"), got
