"""Programs the gate sends into the TARGET's interpreter (``manage.py shell -c``); gate never imports them.

Each probe module defines ``main(given) -> answer`` (JSON in, JSON out) and nothing at import time,
so ruff and mypy read it like any module while its Django imports run only inside the target.
``source(name, given)`` is the text to hand to ``shell -c``: the module, then one call of ``main``
whose answer is printed on a ``GATE-JSON:`` line; ``answer(stdout)`` reads it back. With ``hold=True``
the program then waits for a line on stdin, its database connection still open (the rehearsal's
isolation proof looks for that connection on the server meanwhile). ``source_many({name: given})``
runs several probes in one process, each in its own namespace, in the order given; ``answers(stdout)``
reads ``{name: {"answer": …}}`` or ``{name: {"error": "…"}}`` for a probe that raised (the others still answer).

>>> "def main" in source("sqlmigrate", ["products.0002_x"]) and source("sqlmigrate", []).count("GATE-JSON:") == 1
True
>>> answer("noise\\nGATE-JSON:{\\"a\\": 1}\\n")
{'a': 1}
>>> source("connection", {"tag": "t"}, hold=True).endswith("_sys.stdin.readline()\\n")
True
>>> source_many({"showmigrations": None, "sqlmigrate": None}).count("GATE-JSON:")
1
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


def source_many(wanted: dict[str, object], *, directory: Path = HERE) -> str:
    """One program for ``manage.py shell -c`` running each probe of ``wanted`` (name → its input) in turn,
    each answer printed as soon as it is known (a later probe that hangs does not lose the earlier ones)."""
    probes = [(name, (directory / f"{name}.py").read_text(), given) for name, given in wanted.items()]
    return (f"import json as _json\n"
            f"for _name, _text, _given in _json.loads({json.dumps(probes)!r}):\n"
            f"    _ns = {{'__name__': 'gate_probe_' + _name}}\n"
            f"    try:\n"
            f"        exec(compile(_text, _name + '.py', 'exec'), _ns)\n"
            f"        _said = {{'probe': _name, 'answer': _ns['main'](_given)}}\n"
            f"    except Exception as _exc:\n"
            f"        _said = {{'probe': _name, 'error': type(_exc).__name__ + ': ' + str(_exc)}}\n"
            f"    print({MARK!r} + _json.dumps(_said), flush=True)\n")


def answers(stdout: str) -> dict[str, dict[str, object]]:
    """``source_many``'s answers: probe name → ``{"answer": …}`` or ``{"error": "…"}`` (absent: it never finished).

    >>> answers('GATE-JSON:{"probe": "a", "answer": 1}\\nnoise\\nGATE-JSON:{"probe": "b", "error": "E: x"}\\n')
    {'a': {'answer': 1}, 'b': {'error': 'E: x'}}
    """
    out: dict[str, dict[str, object]] = {}
    for line in stdout.splitlines():
        if line.startswith(MARK):
            try:
                said = json.loads(line[len(MARK):])
            except ValueError:
                continue
            if isinstance(said, dict) and isinstance(said.get("probe"), str):
                out[said.pop("probe")] = said
    return out


def answer(stdout: str) -> object:
    """The probe's answer from its output (any JSON value: the caller narrows it), ``None`` when it printed none."""
    for line in stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    return None


__all__ = ["MARK", "CommandParser", "Introspection", "answer", "answers", "source", "source_many"]
