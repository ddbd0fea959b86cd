"""The code under rehearsal: its environment, its launcher, and the proof of which database it reaches.

The rehearsal runs the release's own code (``BACKEND_DIR``, ``MANAGE_CMD``) against a disposable
PostgreSQL. On a staging host the environment carries the deployment's own database variables
(``DB_*``, ``DATABASE_URL``, ``POSTGRES_*``, ``PG*``): none of them ever reaches the code. The code
gets exactly the env file the rehearsal writes (``code.env``, mode 0600): the disposable database in
the code's own terms (``REHEARSAL_DB_ENV``, the syntax and presets of ``gate.handoff``), its
``PYTHONPATH`` (``REHEARSAL_PYTHONPATH``; the gate's repo is never on it), its settings module and
``REHEARSAL_CODE_ENV`` items. Every manage.py line of a rehearsal goes through this module:

    python -m rehearse.code --env-file code.env --cwd BACKEND_DIR -- <MANAGE_CMD> migrate …

``REHEARSAL_DATABASE_URL`` in the caller's environment (MIG-05's trial copy, the reverse-migration
copy) re-renders the handoff over that database instead.

Before anything runs, :func:`probe` asks the code itself which database it is connected to
(``manage.py shell`` with the gate's probe ``gate/probes/connection.py``: its ``settings_dict``,
``current_database()``, the server's port) and, while
the code's connection is still open, asks the disposable server's ``pg_stat_activity`` whether that
connection is there; anything else is a refusal.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gate import probes
from gate.envfile import read_env_file
from gate.handoff import PRESETS, DbCoordinates, Handoff

DB_VARIABLES: frozenset[str] = frozenset(name for preset in PRESETS.values() for name, _ in preset)
"""Every variable a preset names: a deployment's own database settings, never passed to the code."""
GATE_SECRETS = frozenset({"DISPOSABLE_PG_URL", "CI_TOKEN", "NOTIFY_WEBHOOK_URL", "ONEC_EXCHANGE_PASSWORD"})
"""The gate's own secrets: not the code's business."""
OVERRIDE = "REHEARSAL_DATABASE_URL"
"""A caller's one-off database (a trial copy): the handoff is rendered over it."""
SPEC_KEY = "GATE_REHEARSAL_DB_ENV"
"""The line of ``code.env`` holding the handoff spec (the launcher re-renders it for ``REHEARSAL_DATABASE_URL``)."""
CODE_ENV_FIELDS = ("work", "log_dir", "onec_dir", "onec_user", "onec_password", "base_url")
"""Placeholders of ``REHEARSAL_CODE_ENV`` items and ``REHEARSAL_<SETTING>`` values."""


class CodeEnvError(ValueError):
    """A rehearsal setting about the code is wrong; the message names the setting."""


def fill(template: str, values: Mapping[str, str], setting: str) -> str:
    """``template`` with the known ``{placeholders}`` replaced; other braces (awk, shell) are left alone.

    >>> fill("touch {work}/flag && awk '{print $1}'", {"work": "/w"}, "X")
    "touch /w/flag && awk '{print $1}'"
    """
    out = template
    for name in CODE_ENV_FIELDS:
        if "{" + name + "}" in out:
            if name not in values:
                raise CodeEnvError(f"{setting}: {{{name}}} has no value here")
            out = out.replace("{" + name + "}", values[name])
    return out


def parse_code_env(spec: str, values: Mapping[str, str], handoff: Handoff) -> dict[str, str]:
    """``REHEARSAL_CODE_ENV``: ``NAME=template`` items (shell words) the code gets besides its database.

    >>> parse_code_env("SHOP_FLAG={work}/m.flag MODE=x", {"work": "/w"}, Handoff.parse("db_parts"))
    {'SHOP_FLAG': '/w/m.flag', 'MODE': 'x'}
    >>> parse_code_env("DB_HOST=staging", {}, Handoff.parse("db_parts"))
    Traceback (most recent call last):
    ...
    rehearse.code.CodeEnvError: REHEARSAL_CODE_ENV: DB_HOST is a database variable: the database is \
handed over by REHEARSAL_DB_ENV only
    """
    out: dict[str, str] = {}
    for token in shlex.split(spec):
        name, sep, template = token.partition("=")
        if not sep or not name.isidentifier():
            raise CodeEnvError(f"REHEARSAL_CODE_ENV: {token!r} is not NAME=value")
        if name in DB_VARIABLES or name in handoff.names or name == "PYTHONPATH":
            raise CodeEnvError(f"REHEARSAL_CODE_ENV: {name} is a database variable: the database is handed over "
                               "by REHEARSAL_DB_ENV only" if name != "PYTHONPATH" else
                               "REHEARSAL_CODE_ENV: PYTHONPATH is REHEARSAL_PYTHONPATH")
        out[name] = fill(template, values, "REHEARSAL_CODE_ENV")
    return out


def code_environment(base: Mapping[str, str], code: Mapping[str, str], handoff_names: tuple[str, ...] = ()) -> dict[str, str]:
    """The code's environment: ``base`` without any database variable, the gate's PYTHONPATH or secrets, then ``code``.

    >>> env = code_environment({"DB_HOST": "staging", "PYTHONPATH": "/gate", "HOME": "/h"}, {"DB_HOST": "127.0.0.1"})
    >>> sorted(env.items())
    [('DB_HOST', '127.0.0.1'), ('HOME', '/h')]
    """
    drop = DB_VARIABLES | GATE_SECRETS | set(handoff_names) | {"PYTHONPATH", OVERRIDE, SPEC_KEY}
    env = {k: v for k, v in base.items() if k not in drop}
    env.update({k: v for k, v in code.items() if k != SPEC_KEY and v != ""})
    return env


def read_code_env(path: Path) -> dict[str, str]:
    """The values of ``code.env``."""
    return {k: v for k, (v, _) in read_env_file(path).items()}


def launch_env(base: Mapping[str, str], env_file: Path) -> dict[str, str]:
    """The environment one manage.py line of the code gets (``REHEARSAL_DATABASE_URL`` re-renders the handoff)."""
    code = read_code_env(env_file)
    handoff = Handoff.parse(code.get(SPEC_KEY) or "database_url", "REHEARSAL_DB_ENV")
    if base.get(OVERRIDE):
        code.update(handoff.env(DbCoordinates.from_url(base[OVERRIDE])))
    return code_environment(base, code, handoff.names)


@dataclass(frozen=True, slots=True)
class Seen:
    """Which database the code said it is connected to, and whether the disposable server saw that connection."""

    settings: dict[str, str]
    database: str
    port: int | None
    in_pg_stat_activity: bool
    error: str = ""
    server_port: int | None = None
    """The disposable server's own port as it sees itself (a container maps it: 5432 inside, another outside)."""


def probe(manage_line: str, cwd: Path, env: Mapping[str, str], disposable_dsn: str, timeout_s: float = 120) -> Seen:
    """Ask the code (``manage.py shell``) which database it uses; ask the disposable server who is connected.

    The probe only reads (``SET application_name`` is the session's own). While its connection is
    open, the disposable server's ``pg_stat_activity`` must show it, on the disposable database.
    """
    from gate.db.readonly import connect_readonly

    tag = f"gate-rehearsal-probe-{secrets.token_hex(4)}"
    line = f"{manage_line} shell -c {shlex.quote(probes.source('connection', {'tag': tag}, hold=True))}"
    proc = subprocess.Popen(line, shell=True, cwd=cwd, env=dict(env), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdout is not None and proc.stdin is not None
    found: dict[str, object] = {}
    deadline = time.monotonic() + timeout_s
    try:
        for out in proc.stdout:
            said = probes.answer(out)
            if isinstance(said, dict):
                found = said
                break
            if time.monotonic() > deadline:
                break
        seen_here, server_port = False, None
        if found:
            with connect_readonly(disposable_dsn) as conn:
                row = conn.execute("SELECT datname FROM pg_stat_activity WHERE application_name = %s", (tag,)).fetchone()
                seen_here = row is not None and row[0] == found.get("database")
                own = conn.execute("SELECT inet_server_port()").fetchone()
                server_port = int(own[0]) if own and own[0] is not None else None
        try:
            _, err = proc.communicate("\n", timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
    if not found:
        return Seen({}, "", None, False, f"the probe exited {proc.returncode}: {(err or '').strip()[-600:]}")
    port, given = found.get("port"), found.get("settings")
    return Seen({str(k): str(v) for k, v in (given.items() if isinstance(given, dict) else ())}, str(found.get("database", "")),
                int(port) if isinstance(port, int) else None, seen_here, server_port=server_port)


def refusal(seen: Seen, expected: DbCoordinates, handoff_names: tuple[str, ...]) -> str:
    """Why the code is not (provably) on the disposable database; empty when it is.

    >>> refusal(Seen({"NAME": "shop"}, "shop", 5432, False), DbCoordinates("127.0.0.1", 6000, "freesport_x", "u"),
    ...         ("DB_NAME", "DB_HOST"))
    "the code is connected to database 'shop' on port 5432 (its settings: NAME=shop), not the disposable \
freesport_x on port 6000, and the disposable server does not see its connection; REHEARSAL_DB_ENV (DB_NAME, \
DB_HOST) does not hand the disposable database to the code"
    """
    hint = f"REHEARSAL_DB_ENV ({', '.join(handoff_names)}) does not hand the disposable database to the code"
    if seen.error:
        return f"the code did not say which database it uses ({seen.error}); {hint}"
    ports = {expected.port, seen.server_port} - {None}  # the port outside a container and the one inside it
    if seen.database == expected.name and seen.port in ports and seen.in_pg_stat_activity:
        return ""
    where = ", ".join(f"{k}={v}" for k, v in seen.settings.items() if v and k != "PASSWORD")
    also = "" if seen.in_pg_stat_activity else ", and the disposable server does not see its connection"
    return (f"the code is connected to database {seen.database!r} on port {seen.port} (its settings: {where}), not "
            f"the disposable {expected.name} on port {expected.port}{also}; {hint}")


def main(argv: list[str] | None = None) -> int:
    """The launcher: run a command line of the code with exactly the code's environment (exec)."""
    parser = argparse.ArgumentParser(prog="python -m rehearse.code")
    parser.add_argument("--env-file", type=Path, required=True)
    parser.add_argument("--cwd", type=Path, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    env = launch_env(os.environ, args.env_file)
    os.chdir(args.cwd)
    line = " ".join(command[:1] + [shlex.quote(a) for a in command[1:]])
    os.execvpe("bash", ["bash", "-c", line], env)


__all__ = ["DB_VARIABLES", "CodeEnvError", "Seen", "code_environment", "fill", "launch_env", "parse_code_env",
           "probe", "refusal"]

if __name__ == "__main__":
    sys.exit(main())
