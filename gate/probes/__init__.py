"""Programs the gate sends into the TARGET's interpreter (``manage.py shell -c``); gate never imports them.

Each probe module defines ``main(given) -> answer`` (JSON in, JSON out) and nothing at import time,
so ruff and mypy read it like any module while its Django imports run only inside the target.
``source(name, given)`` is the text to hand to ``shell -c``: the module, then one call of ``main``
whose answer is printed on a ``GATE-JSON:`` line; ``answer(stdout)`` reads it back. With ``hold=True``
the program then waits for a line on stdin, its database connection still open (the rehearsal's
isolation proof looks for that connection on the server meanwhile).

>>> "def main" in source("sqlmigrate", ["products.0002_x"]) and source("sqlmigrate", []).count("GATE-JSON:") == 1
True
>>> answer("noise\\nGATE-JSON:{\\"a\\": 1}\\n")
{'a': 1}
>>> source("connection", {"tag": "t"}, hold=True).endswith("_sys.stdin.readline()\\n")
True
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypedDict

MARK = "GATE-JSON:"
HERE = Path(__file__).resolve().parent


class CommandParser(TypedDict):
    """What ``introspect`` read from one management command's argument parser."""

    options: list[str]
    choices: list[str]


class Introspection(TypedDict):
    """The answer of the ``introspect`` probe: per command, URL path, ``module:name`` import, and
    fact kind (``fs``, ``ref``, ``migration``, ``call``) keyed ``key\\x00what``, what the target said
    (``None``/``False``: unknown there; a fact's ``""``: it holds, else why not)."""

    commands: dict[str, CommandParser | None]
    urls: dict[str, str | None]
    imports: dict[str, bool]
    facts: dict[str, dict[str, str]]


def source(name: str, given: object, *, hold: bool = False, directory: Path = HERE) -> str:
    """The program for ``manage.py shell -c``: probe ``name`` with ``given`` (any JSON value) as its input.

    ``hold``: after the answer, wait for one line on stdin before exiting (connections stay open).
    ``directory``: where the module is (the gate's own probes by default; bench/ keeps its own programs).
    """
    text = (directory / f"{name}.py").read_text()
    program = f"{text}\nimport json as _json\nprint({MARK!r} + _json.dumps(main(_json.loads({json.dumps(given)!r}))), flush=True)\n"
    return program + ("import sys as _sys\n_sys.stdin.readline()\n" if hold else "")


def answer(stdout: str) -> object:
    """The probe's answer from its output (any JSON value: the caller narrows it), ``None`` when it printed none."""
    for line in stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    return None


__all__ = ["MARK", "CommandParser", "Introspection", "answer", "source"]
