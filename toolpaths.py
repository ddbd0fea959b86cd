"""Where the bootstrap found or installed each tool: the one lookup the gate, disposable_pg and the rehearsal use.

``scripts/bootstrap/*.sh`` decide where a tool is (an explicit setting, what is already installed,
or what they install: uv into ``var/tools/uv``, PostgreSQL's server binaries, Node 20 and Allure 3,
Debian's chromium) and record the absolute path in ``var/tools/found/<name>``
(``scripts/bootstrap/record.sh``). This module only reads those records: it never searches
``PATH``, so a tool that only the caller's shell finds (a hand-installed ``uv``) is never used,
and the gate cannot disagree with the bootstrap.

>>> import tempfile; d = Path(tempfile.mkdtemp())
>>> _ = (d / "uv").write_text("/usr/bin/env\\n")
>>> str(find("uv", record_dir=d))
'/usr/bin/env'
>>> find("node", record_dir=d)
Traceback (most recent call last):
...
toolpaths.ToolMissing: node: the bootstrap has not recorded it (run `make bootstrap report-tools`)
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

REPO: Final = Path(__file__).resolve().parent
"""The repository's root: every other module takes its paths from here."""
RECORD_DIR: Final = REPO / "var" / "tools" / "found"
VENV_PYTHON: Final = REPO / ".venv" / "bin" / "python"
"""The interpreter of the virtualenv the bootstrap creates from the lock file (``make bootstrap``)."""

Tool = Literal["uv", "pg-bin", "node", "allure", "chromium"]
MAKE_TARGET: Final[dict[str, str]] = {
    "uv": "make bootstrap", "pg-bin": "make bootstrap", "node": "make bootstrap report-tools",
    "allure": "make report-tools", "chromium": "make report-tools",
}  # fmt: skip


class ToolMissing(LookupError):
    """The bootstrap has not recorded the tool, or what it recorded is gone."""


def find(name: Tool, *, record_dir: Path = RECORD_DIR) -> Path:
    """The absolute path the bootstrap recorded for ``name`` (a directory for ``pg-bin``)."""
    record = record_dir / name
    how = MAKE_TARGET.get(name, "make bootstrap")
    try:
        recorded = record.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ToolMissing(f"{name}: the bootstrap has not recorded it (run `{how}`)") from None
    path = Path(recorded)
    if not recorded or not path.is_absolute() or not path.exists():
        raise ToolMissing(f"{name}: the bootstrap recorded {recorded!r} ({record}), which is not there (run `{how}`)")
    return path


def optional(name: Tool, *, record_dir: Path = RECORD_DIR) -> Path | None:
    """Like :func:`find`, ``None`` when the tool is not there."""
    try:
        return find(name, record_dir=record_dir)
    except ToolMissing:
        return None
