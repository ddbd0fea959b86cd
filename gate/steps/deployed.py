"""DEP-01's facts: which release the target runs, and whether its requirements are satisfied.

The deployed release is read, in order, from ``DEPLOYED_VERSION_CMD`` (any command printing the
tag, e.g. ``ssh prod 'cd /var/www/freesport && git describe --tags --exact-match'``); for the
bundled backend (``BACKEND_DIR`` = this repository's ``backend/``, which carries no release tags)
from its migration files: the release that ships every migration of ``EXPECTED_PLAN`` is
``RELEASE_TAG``; otherwise from ``git describe --tags --exact-match`` in ``BACKEND_DIR``.
Requirements: ``PIP_CHECK_CMD``, else ``uv pip check --python <the target's Python>`` with the uv the
bootstrap installed or found (:mod:`toolpaths`; the target's venv needs no pip).
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import toolpaths
from gate.settings import REPO, Settings
from gate.steps.commands import run_shell


@dataclass(frozen=True, slots=True)
class Release:
    """The release the target runs and how the gate found out."""

    tag: str
    how: str


def _migration_file(backend: Path, name: str) -> Path:
    app, _, migration = name.partition(".")
    return backend / "apps" / app / "migrations" / f"{migration}.py"


def deployed_release(settings: Settings) -> Release:
    """The deployed release tag (empty when it cannot be told)."""
    if settings.deployed_version_cmd:
        proc = run_shell(settings, settings.deployed_version_cmd, timeout=60)
        return Release(proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "",
                       f"DEPLOYED_VERSION_CMD exit {proc.returncode}")
    backend = settings.backend_dir.resolve()
    if backend == (REPO / "backend").resolve():
        missing = [m for m in settings.expected_plan if not _migration_file(backend, m).exists()]
        if missing:
            return Release("", f"bundled backend lacks the release's migrations {', '.join(missing)}")
        return Release(settings.release_tag, f"bundled backend ships the release's {len(settings.expected_plan)} "
                                             "migrations")
    proc = subprocess.run(["git", "-C", str(backend), "describe", "--tags", "--exact-match", "HEAD"],
                          capture_output=True, text=True, check=False)
    return Release(proc.stdout.strip(), f"git describe in {backend}" + (f": {proc.stderr.strip()}" if proc.returncode
                                                                           else ""))


def target_python(settings: Settings) -> str:
    """The Python of the target's manage.py (the first word of MANAGE_CMD when local)."""
    argv = settings.manage_argv
    return argv[0] if argv and Path(argv[0]).name.startswith("python") else str(REPO / ".venv" / "bin" / "python")


def requirements_check(settings: Settings) -> tuple[bool, str]:
    """``(ok, detail)`` of the requirements check in the target's environment."""
    if settings.pip_check_cmd:
        proc = run_shell(settings, settings.pip_check_cmd, timeout=120)
        how = "PIP_CHECK_CMD"
    else:
        python = target_python(settings)
        try:
            uv = toolpaths.find("uv")
        except toolpaths.ToolMissing as exc:
            return False, f"uv pip check: {exc}; or set PIP_CHECK_CMD"
        proc = run_shell(settings, f"{shlex.quote(str(uv))} pip check --python {shlex.quote(python)}", timeout=120)
        how = "uv pip check"
    text = (proc.stdout + proc.stderr).strip().splitlines()
    return proc.returncode == 0, f"{how}: {text[-1] if text else 'exit ' + str(proc.returncode)}"
