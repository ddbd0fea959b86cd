"""DEP-01's facts: which release the target runs, and whether its requirements are satisfied.

The release expected is ``RELEASE_COMMIT`` when set (releases identified by commit), else ``RELEASE_TAG``.
The deployed release is read, in order, from ``DEPLOYED_VERSION_CMD`` (any command printing the
tag or commit, e.g. ``ssh prod 'cd /var/www/freesport && git rev-parse HEAD'``); for the
bundled backend (``BACKEND_DIR`` = this repository's ``backend/``, which carries no release tags)
from its migration files: the release that ships every migration of ``EXPECTED_PLAN`` is the one
expected; otherwise from ``git rev-parse HEAD`` in ``BACKEND_DIR`` when ``RELEASE_COMMIT`` is set, else
``git describe --tags --exact-match``. A commit matches by prefix (a short sha on either side, 7+ hex digits).

Requirements: ``PIP_CHECK_CMD``; else, for the bundled backend's default ``MANAGE_CMD``, ``uv pip check
--python`` this venv's Python with the uv the bootstrap installed or found (:mod:`toolpaths`; no pip
needed); else the target's interpreter is asked through ``MANAGE_CMD`` (``shell -c``, the ``interpreter``
probe): when the path it names is the same environment on this machine (same installed distributions),
``uv pip check --python <that path>`` (``<path> -m pip check`` without uv), otherwise ``pip check`` runs in
the target's interpreter through ``MANAGE_CMD``. When neither answers, the check cannot be known: a manual
item naming ``PIP_CHECK_CMD``. Never the gate's own venv for a target that is not the bundled backend.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import toolpaths
from gate import probes
from gate.settings import REPO, Settings
from gate.target_cmd import run_manage, run_shell, target_env

SHA = re.compile(r"[0-9a-f]{7,40}")
UNANSWERED = "MANAGE_CMD shell did not name its interpreter"


@dataclass(frozen=True, slots=True)
class Release:
    """The release the target runs and how the gate found out."""

    tag: str
    how: str


def _migration_file(backend: Path, name: str) -> Path:
    app, _, migration = name.partition(".")
    return backend / "apps" / app / "migrations" / f"{migration}.py"


def expected_release(settings: Settings) -> tuple[str, str]:
    """``(value, setting)``: ``RELEASE_COMMIT`` when set, else ``RELEASE_TAG``."""
    if settings.release_commit:
        return settings.release_commit.strip(), "RELEASE_COMMIT"
    return settings.release_tag, "RELEASE_TAG"


def same_release(deployed: str, expected: str) -> bool:
    """The deployed release is the expected one; commits (7+ hex digits) match by prefix.

    >>> same_release("3f2c9e1a7b4d5e6f", "3f2c9e1a"), same_release("3f2c9e1", "3f2c9e2"), same_release("", "")
    (True, False, False)
    >>> same_release("v13.4.0", "v13.4.0"), same_release("v13.4.0", "v13.4")
    (True, False)
    """
    deployed, expected = deployed.strip(), expected.strip()
    if not deployed or not expected:
        return False
    if SHA.fullmatch(deployed.lower()) and SHA.fullmatch(expected.lower()):
        short, long = sorted((deployed.lower(), expected.lower()), key=len)
        return long.startswith(short)
    return deployed == expected


def deployed_release(settings: Settings) -> Release:
    """The deployed release's tag or commit (empty when it cannot be told)."""
    if settings.deployed_version_cmd:
        proc = run_shell(settings, settings.deployed_version_cmd, timeout=60)
        return Release(proc.stdout.strip().splitlines()[-1].strip() if proc.stdout.strip() else "",
                       f"DEPLOYED_VERSION_CMD exit {proc.returncode}")
    backend = settings.backend_dir.resolve()
    if backend == (REPO / "backend").resolve():
        missing = [m for m in settings.expected_plan if not _migration_file(backend, m).exists()]
        if missing:
            return Release("", f"bundled backend lacks the release's migrations {', '.join(missing)}")
        return Release(expected_release(settings)[0], f"bundled backend ships the release's "
                                                      f"{len(settings.expected_plan)} migrations")
    if settings.release_commit:
        argv, how = ["rev-parse", "HEAD"], f"git rev-parse HEAD in {backend}"
    else:
        argv, how = ["describe", "--tags", "--exact-match", "HEAD"], f"git describe in {backend}"
    proc = subprocess.run(["git", "-C", str(backend), *argv], capture_output=True, text=True, check=False)
    return Release(proc.stdout.strip() if proc.returncode == 0 else "",
                   how + (f": {proc.stderr.strip()}" if proc.returncode else ""))


def _probe(proc: subprocess.CompletedProcess[str]) -> dict[str, object] | None:
    got = probes.answer(proc.stdout)
    return got if isinstance(got, dict) else None


def _tail(proc: subprocess.CompletedProcess[str]) -> str:
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    return lines[-1] if lines else f"exit {proc.returncode}"


def target_interpreter(settings: Settings, answered: object = None) -> tuple[str | None, str]:
    """``(python, how)``: the target's Python as a path usable on this machine, or ``None`` and why not.

    The bundled backend's default ``MANAGE_CMD``: this venv's Python. Otherwise the interpreter is asked
    through ``MANAGE_CMD`` (``answered``: the ``interpreter`` probe's answer already, from a shared process)
    and its path accepted only when, run here, it reports the same environment.
    """
    if not settings.manage_cmd:
        return str(toolpaths.VENV_PYTHON), "the bundled backend's Python"
    there = answered if isinstance(answered, dict) else None
    if there is None:
        asked = run_manage(settings, "shell", "-c", probes.source("interpreter", {}), timeout=120)
        there = _probe(asked)
        if there is None:
            return None, f"{UNANSWERED} ({_tail(asked)})"
    exe = str(there.get("executable") or "")
    if not exe or not Path(exe).is_file():
        return None, f"the target's interpreter {exe or '(none)'} is not on this machine"
    cwd = settings.backend_dir if settings.backend_dir.is_dir() else REPO
    try:
        local = subprocess.run([exe, "-c", probes.source("interpreter", {})], cwd=cwd, env=target_env(settings),
                               capture_output=True, text=True, timeout=60, check=False)
    except OSError as exc:
        return None, f"the target's interpreter {exe} does not run here ({exc})"
    here = _probe(local)
    if here is None or here.get("fingerprint") != there.get("fingerprint") or here.get("prefix") != there.get("prefix"):
        return None, f"{exe} on this machine is not the target's environment"
    return exe, f"the target's interpreter {exe}, asked through MANAGE_CMD"


def requirements_check(settings: Settings, interpreter: object = None) -> tuple[bool | None, str]:
    """``(ok, detail)`` of the requirements check in the target's environment; ``ok`` is ``None`` when it
    cannot be known (then ``detail`` names ``PIP_CHECK_CMD``). ``interpreter``: the ``interpreter`` probe's
    answer already, when a shared process asked it."""
    if settings.pip_check_cmd:
        proc = run_shell(settings, settings.pip_check_cmd, timeout=120)
        return proc.returncode == 0, f"PIP_CHECK_CMD: {_tail(proc)}"
    python, how = target_interpreter(settings, interpreter)
    if python is not None:
        uv = toolpaths.optional("uv")
        if uv is not None:
            line, name = f"{shlex.quote(str(uv))} pip check --python {shlex.quote(python)}", "uv pip check"
        elif not settings.manage_cmd:
            return False, "uv pip check: uv not found (make bootstrap records it); or set PIP_CHECK_CMD"
        else:
            line, name = f"{shlex.quote(python)} -m pip check", "pip check"
        proc = run_shell(settings, line, timeout=120)
        return proc.returncode == 0, f"{name} ({how}): {_tail(proc)}"
    if how.startswith(UNANSWERED):  # the wrapper cannot run manage.py at all: asking again says nothing new
        return None, (f"the target's requirements cannot be checked ({how}): set PIP_CHECK_CMD to the target's own "
                      "requirements check, or sign it off by hand")
    through = run_manage(settings, "shell", "-c", probes.source("interpreter", {"pip_check": True}), timeout=180)
    got = _probe(through)
    check = got.get("pip_check") if got else None
    out = str(check.get("out", "")) if isinstance(check, dict) else ""
    if not isinstance(check, dict) or "No module named pip" in out:
        said = (out.splitlines() or ["?"])[-1] if isinstance(check, dict) else _tail(through)
        return None, (f"the target's requirements cannot be checked ({how}; pip check through MANAGE_CMD: {said}): "
                      "set PIP_CHECK_CMD to the target's own requirements check, or sign it off by hand")
    exe = got.get("executable") if got else "?"
    said = "; ".join(out.splitlines())[-600:] or f"exit {check.get('rc')}"
    return check.get("rc") == 0, f"pip check in the target's interpreter {exe} through MANAGE_CMD ({how}): {said}"
