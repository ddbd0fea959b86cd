"""The bundled reference backend (``backend/``): the one module that owns its facts and runs its ``manage.py``.

Where it is (:data:`BACKEND`), which interpreter runs it (:data:`PYTHON`: the bootstrap's virtualenv,
else the running one), its committed 1C sample (:data:`SAMPLE_DIR` and :func:`sample_parameters`,
read once from the ``generate_commerceml`` line of ``backend/sample_data/README.md``) and the one way
to run its ``manage.py`` in a child process (:func:`command`, :func:`manage`; :func:`manage_script`
writes the same line as a ``MANAGE_CMD`` wrapper). ``make local-target``, the window's throw-away
target, the rehearsal, the benchmarks and the self-tests all go through here; the gate never
imports the backend, and runs a *target's* ``manage.py`` through its own ``MANAGE_CMD`` setting
(gate/steps/commands.py), not through this module.
"""

from __future__ import annotations

import functools
import re
import secrets
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import toolpaths

REPO = toolpaths.REPO
BACKEND = REPO / "backend"
SAMPLE_DIR = BACKEND / "sample_data" / "commerceml"
SAMPLE_README = SAMPLE_DIR.parent / "README.md"
PYTHON = str(toolpaths.VENV_PYTHON) if toolpaths.VENV_PYTHON.exists() else sys.executable
COPY_URL_VAR = "GATE_COPY_DATABASE_URL"
"""The bundled ``manage.sh`` wrappers source their env file (which sets ``DATABASE_URL``), then take this
variable over it when set: how MIG-05's trial hands them a copy (``TRIAL_DB_ENV``, gate/handoff.py)."""
TRIAL_DB_ENV = f"{COPY_URL_VAR}={{url}}"
COPY_URL_OVERRIDE = f'if [[ -n "${{{COPY_URL_VAR}:-}}" ]]; then export DATABASE_URL="${COPY_URL_VAR}"; fi\n'
"""The wrapper's line that honours ``GATE_COPY_DATABASE_URL``."""
EXCHANGE_USER = "exchange"
"""The 1C exchange user of a disposable bundled target (its password is drawn per target)."""


@dataclass(frozen=True, slots=True)
class Sample:
    """N products × K variants from a seed: the committed 1C sample's size, or another size of the same recipe.

    ``seed_legacy_catalog`` and ``generate_commerceml`` take the same three options, so a v13.3
    catalog seeded with them and the 1C package made with them hold the same 1C ids.

    >>> Sample(200, 3, 42).options()
    ['--products', '200', '--variants-per-product', '3', '--seed', '42']
    """

    products: int
    variants_per_product: int
    seed: int

    def options(self) -> list[str]:
        """The command-line options of ``seed_legacy_catalog`` / ``generate_commerceml`` for this size."""
        return ["--products", str(self.products), "--variants-per-product", str(self.variants_per_product),
                "--seed", str(self.seed)]

    def as_dict(self) -> dict[str, int]:
        """``{"products", "variants_per_product", "seed"}`` (the rehearsal record's ``data``)."""
        return asdict(self)


SAMPLE_LINE = re.compile(r"generate_commerceml\s+--products[ =](\d+)\s+--variants-per-product[ =](\d+)\s+--seed[ =](\d+)")


@functools.cache
def sample_parameters(readme: Path = SAMPLE_README) -> Sample:
    """The committed 1C sample's N, K and seed, read (once) from the command its README documents.

    >>> sample_parameters().options() == sample_parameters().options()
    True
    """
    try:
        lines = readme.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RuntimeError(f"{readme}: cannot read the committed 1C sample's size ({exc.strerror})") from None
    for number, line in enumerate(lines, 1):
        found = SAMPLE_LINE.search(line)
        if found:
            return Sample(*(int(g) for g in found.groups()))
        if "generate_commerceml" in line and "--products" in line:
            raise RuntimeError(f"{readme}:{number}: expected `generate_commerceml --products N "
                               f"--variants-per-product K --seed S`, got {line.strip()!r}")
    raise RuntimeError(f"{readme}: no `generate_commerceml --products N --variants-per-product K --seed S` line "
                       "(the committed 1C sample's size)")


def command(*args: str) -> list[str]:
    """The argv that runs ``manage.py args`` with :data:`PYTHON` (cwd: the project, :data:`BACKEND` by default)."""
    return [PYTHON, "manage.py", *args]


def manage(env: Mapping[str, str], *args: str, check: bool = True, cwd: Path = BACKEND,
           timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """``manage.py args`` of the bundled backend (or the Django project in ``cwd``) in a child process.

    Output is captured; with ``check`` a non-zero exit raises ``RuntimeError`` naming the command
    and ending with what it printed last.
    """
    proc = subprocess.run(command(*args), cwd=cwd, env=dict(env), text=True, capture_output=True, timeout=timeout,
                          check=False)
    if check and proc.returncode != 0:
        said = (proc.stderr.strip() or proc.stdout.strip())[-1500:]
        raise RuntimeError(f"{cwd.name}/manage.py {' '.join(args)} exit {proc.returncode}: {said}")
    return proc


def manage_script(path: Path, *, env_file: Path | None = None, cwd: Path = BACKEND, honours_copy: bool = True,
                  exports: Mapping[str, str] | None = None, comment: str = "") -> Path:
    """Write ``path``: a ``MANAGE_CMD`` wrapper that runs :func:`command` in ``cwd`` with ``env_file``'s values.

    ``honours_copy``: ``GATE_COPY_DATABASE_URL`` replaces ``DATABASE_URL`` when set (MIG-05's copy);
    ``exports``: variables the wrapper sets itself (a deployment's ``PYTHONPATH``).
    """
    text = "#!/usr/bin/env bash\n" + (f"# {comment}\n" if comment else "") + "set -euo pipefail\n"
    if env_file is not None:
        text += f"set -a; . {shlex.quote(str(env_file))}; set +a\n"
    if exports:
        text += "export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in exports.items()) + "\n"
    text += (COPY_URL_OVERRIDE if honours_copy else "") + f"cd {shlex.quote(str(cwd))}\n"
    text += f"exec {shlex.join(command())} \"$@\"\n"
    path.write_text(text)
    path.chmod(0o700)
    return path


def backend_env(dsn: str, log_dir: Path, onec_dir: Path, exchange_password: str, **extra: str) -> dict[str, str]:
    """The bundled backend's own settings for a disposable target (a fresh ``SECRET_KEY``), plus ``extra``."""
    return {
        "DJANGO_SETTINGS_MODULE": "freesport.settings", "DATABASE_URL": dsn,
        "SECRET_KEY": secrets.token_urlsafe(32), "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_DIR": str(log_dir), "ONEC_DATA_DIR": str(onec_dir),
        "ONEC_EXCHANGE_USER": EXCHANGE_USER, "ONEC_EXCHANGE_PASSWORD": exchange_password, **extra,
    }


def gate_env(dsn: str, base_url: str, manage_sh: Path, env: Mapping[str, str], **extra: str) -> dict[str, str]:
    """The gate's settings for a disposable bundled target served at ``base_url`` (``env``: its backend_env)."""
    return {
        "DATABASE_URL": dsn, "BASE_URL": base_url, "API_PREFIX": "/api", "BACKEND_DIR": str(BACKEND),
        "MANAGE_CMD": str(manage_sh), "LOG_DIR": env["LOG_DIR"], "ONEC_DATA_DIR": env["ONEC_DATA_DIR"],
        "ONEC_HEALTHCHECK_URL": f"{base_url}/api/integration/1c/exchange/?type=catalog&mode=checkauth",
        "ONEC_EXCHANGE_USER": env["ONEC_EXCHANGE_USER"], "ONEC_EXCHANGE_PASSWORD": env["ONEC_EXCHANGE_PASSWORD"],
        "WINDOW_OPEN": "true", "TRIAL_DB_ENV": TRIAL_DB_ENV, **extra,
    }


def start_gunicorn(env: Mapping[str, str], port: int, workers: int, log_dir: Path) -> subprocess.Popen[bytes]:
    """The bundled backend under gunicorn (its ``gunicorn.conf.py``) on ``127.0.0.1:port``, in its own session."""
    return subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=BACKEND,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)},
        stdout=subprocess.DEVNULL, stderr=(log_dir / "gunicorn.stderr").open("w"), start_new_session=True)


def migrate_to_v13_3(env: Mapping[str, str]) -> list[str]:
    """Every app migrated, ``products`` pinned at ``0001_initial`` (the v13.3 schema); returns the apps."""
    manage(env, "migrate", "products", "0001_initial", "--noinput")
    listing = manage(env, "showmigrations", "--list").stdout
    apps = [line.strip() for line in listing.splitlines() if line and not line.startswith(" ")]
    for app in apps:
        if app != "products":
            manage(env, "migrate", app, "--noinput")
    manage(env, "migrate", "products", "0001_initial", "--noinput")
    return apps


__all__ = ["BACKEND", "COPY_URL_OVERRIDE", "PYTHON", "REPO", "SAMPLE_DIR", "TRIAL_DB_ENV", "Sample", "backend_env",
           "command", "gate_env", "manage", "manage_script", "migrate_to_v13_3", "sample_parameters",
           "start_gunicorn"]
