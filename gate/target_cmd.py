"""How the gate runs the target's commands: every command is a setting, split like a shell would.

The environment a command gets is the process environment over every ``KEY=value`` of
``ENV_FILE`` (whose ``PYTHONPATH`` wins: a foreign target's settings module is found through its
own path, never the gate's) (so the bundled backend's ``SECRET_KEY``, ``LOG_DIR``… reach ``manage.py``), plus
the gate's settings the step scripts read (``MANAGE_CMD`` resolved, ``RUN_DIR``…). Output is
captured; passwords never reach argv (``MANAGE_CMD`` over ssh keeps its own environment).

>>> manage_line(Settings(manage_cmd="ssh prod 'cd /srv && .venv/bin/python manage.py'"), "help")
"ssh prod 'cd /srv && .venv/bin/python manage.py' help"
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from gate.settings import REPO, Settings, read_env_file, resolve_env_file

TIMEOUT_S = 600


def env_file_values() -> dict[str, str]:
    """Every ``KEY=value`` of the active env file (``ENV_FILE`` or ``var/local.env``)."""
    path = resolve_env_file(dict(os.environ))
    return {k: v for k, (v, _) in read_env_file(path).items()} if path else {}


def manage_prefix(settings: Settings) -> str:
    """``MANAGE_CMD`` as one shell string (default: the bundled backend's manage.py in this venv)."""
    return settings.manage_cmd or " ".join(shlex.quote(a) for a in settings.manage_argv)


def manage_line(settings: Settings, *args: str) -> str:
    """A shell line running ``manage.py`` with ``args`` on the target."""
    return " ".join([manage_prefix(settings), *(shlex.quote(a) for a in args)])


def target_env(settings: Settings, run_dir: Path | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for step scripts and manage.py: env file < process env < resolved settings."""
    from_file = env_file_values()
    env = {**from_file, **os.environ}
    env["MANAGE_CMD"] = manage_prefix(settings)
    if "PYTHONPATH" in from_file:  # the target's own module path (its settings module lives there)
        env["PYTHONPATH"] = from_file["PYTHONPATH"]
    elif settings.is_bundled:
        env["PYTHONPATH"] = str(REPO)  # the bundled backend
    else:
        env.pop("PYTHONPATH", None)  # never the gate's own module path
    env.setdefault("DJANGO_SETTINGS_MODULE", settings.django_settings_module)
    env["BACKEND_DIR"] = str(settings.backend_dir)
    env["ONEC_DATA_DIR"] = str(settings.onec_data_dir)
    env["PRICE_TYPES_FILE"] = str(settings.price_types_file.resolve())
    env["RELEASE_TAG"] = settings.release_tag
    env["PREVIOUS_RELEASE_TAG"] = settings.previous_release_tag
    if settings.release_commit:
        env["RELEASE_COMMIT"] = settings.release_commit
    if settings.previous_release_commit:
        env["PREVIOUS_RELEASE_COMMIT"] = settings.previous_release_commit
    if settings.log_dir:
        env["LOG_DIR"] = str(settings.log_dir)
    if run_dir is not None:
        env["RUN_DIR"] = str(run_dir)
    env.update(extra or {})
    return env


def run_manage(settings: Settings, *args: str, timeout: float = TIMEOUT_S,
               extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py args`` on the target and capture its output (never raises on exit code)."""
    cwd = settings.backend_dir if settings.backend_dir.is_dir() else REPO
    return subprocess.run(
        manage_line(settings, *args), shell=True, cwd=cwd, env=target_env(settings, extra=extra_env),
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def run_shell(settings: Settings, line: str, timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run a configured command line (``DEPLOYED_VERSION_CMD``…) with the target's environment."""
    return subprocess.run(line, shell=True, cwd=REPO, env=target_env(settings), capture_output=True, text=True,
                          timeout=timeout, check=False)


def ask_target(settings: Settings, wanted: dict[str, object], cache: Path, key: str,
               timeout: float = TIMEOUT_S, context: object = None) -> dict[str, object]:
    """The answers of several probes (name → input) from ONE ``manage.py shell -c``, cached in ``cache``
    (JSON) while ``key`` is the same (a lock serialises xdist workers). Only probes that answered are in
    the result: a caller whose probe is missing runs its own command and reports what that says.
    ``context`` (JSON) is kept beside the answers: what was true when they were asked."""
    import fcntl
    import hashlib
    import json

    from gate import probes

    digest = hashlib.sha256(json.dumps([key, manage_prefix(settings), wanted], sort_keys=True).encode()).hexdigest()
    cache.parent.mkdir(parents=True, exist_ok=True)
    with cache.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            kept = json.loads(cache.read_text()) if cache.exists() else {}
        except ValueError:
            kept = {}
        if isinstance(kept, dict) and kept.get("key") == digest and isinstance(kept.get("answers"), dict):
            return dict(kept["answers"])
        try:
            proc = run_manage(settings, "shell", "-c", probes.source_many(wanted), timeout=timeout)
            stdout, exit_code = proc.stdout, proc.returncode
        except subprocess.TimeoutExpired as exc:  # the probes that answered before the timeout still count
            out = exc.stdout or ""
            stdout, exit_code = out.decode(errors="replace") if isinstance(out, bytes) else out, None
        got = probes.answers(stdout)
        answers = {name: got[name]["answer"] for name in wanted if "answer" in got.get(name, {})}
        errors = {name: got[name].get("error", "no answer") if name in got else "no answer"
                  for name in wanted if name not in answers}
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": digest, "answers": answers, "errors": errors,
                                   "exit_code": exit_code, "context": context}, ensure_ascii=False))
        tmp.replace(cache)
        return answers
