"""``KEY=value`` env files, read without the settings machinery.

:mod:`gate.settings` reads its env files with this, and so do the launchers that start many times a
run (the rehearsal's ``MANAGE_CMD`` wrapper ``rehearse.code``, its ``APP_START_CMD``/``APP_STOP_CMD``
``rehearse.app``): importing pydantic for a dozen lines would cost each start ≈ 0.3 CPU-s.

>>> import tempfile; f = Path(tempfile.mkstemp()[1]); _ = f.write_text("# c\\nA='x y'\\n")
>>> read_env_file(f)
{'A': ('x y', 2)}
"""

from __future__ import annotations

import re
from pathlib import Path

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names the variable (and file:line)."""


def read_env_file(path: Path) -> dict[str, tuple[str, int]]:
    """``KEY=value`` lines of an env file with their line numbers (comments, ``export``, quotes ok).

    >>> import tempfile; f = Path(tempfile.mkstemp()[1]); _ = f.write_text("export B=1 # note\\n")
    >>> read_env_file(f)
    {'B': ('1', 1)}
    """
    values: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        match = _LINE.match(raw)
        if not match:
            raise SettingsError(f"{path}:{number}: not a KEY=value line")
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = (value, number)
    return values
