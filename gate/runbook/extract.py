"""Extract the shell lines of a Markdown runbook, with their Markdown line numbers, and its timetable.

A logical line joins backslash continuations and quoted strings that span lines
(``shell -c "…"``); a heredoc's body belongs to the line that opened it. Comment lines and
blank lines are kept (reported as such) so every line of a block appears in the lint report.

>>> [(l.number, l.kind) for l in extract_lines("x\\n```bash\\n# c\\nls -la /x\\n```\\n")]
[(3, 'comment'), (4, 'command')]
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

_FENCE = re.compile(r"^\s*```(\w*)\s*$")
_SHELL_LANGS = {"bash", "sh", "shell", "console", "zsh", ""}
_HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")


@dataclass(frozen=True, slots=True)
class ShellLine:
    """One logical shell line of the runbook (``kind``: command, comment, heredoc)."""

    number: int
    text: str
    kind: str
    end: int = 0
    heredoc: tuple[str, ...] = field(default=())
    block: int = 0


def _balanced(text: str) -> bool:
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return False
    return not text.rstrip().endswith("\\")


def extract_lines(markdown: str) -> list[ShellLine]:
    """Every line inside shell code blocks: commands (joined), comments, heredoc bodies."""
    lines = markdown.splitlines()
    out: list[ShellLine] = []
    i, in_block, block = 0, False, 0
    while i < len(lines):
        raw = lines[i]
        fence = _FENCE.match(raw)
        if fence:
            in_block = (not in_block) and fence.group(1).lower() in _SHELL_LANGS
            block += in_block
            i += 1
            continue
        if not in_block:
            i += 1
            continue
        stripped = raw.strip()
        if not stripped:
            i += 1
            continue
        if stripped.startswith("#"):
            out.append(ShellLine(i + 1, stripped, "comment", i + 1, block=block))
            i += 1
            continue
        start, text = i, stripped
        while not _balanced(text) and i + 1 < len(lines) and not _FENCE.match(lines[i + 1]):
            i += 1
            text = text.rstrip("\\").rstrip() + (" " if text.rstrip().endswith("\\") else "\n") + lines[i].strip()
        body: list[str] = []
        heredoc = _HEREDOC.search(text)
        if heredoc:
            while i + 1 < len(lines) and lines[i + 1].strip() != heredoc.group(1) and not _FENCE.match(lines[i + 1]):
                i += 1
                body.append(lines[i])
            if i + 1 < len(lines) and lines[i + 1].strip() == heredoc.group(1):
                i += 1
        out.append(ShellLine(start + 1, text, "command", i + 1, tuple(body), block))
        i += 1
    return out


TIMETABLE_STEPS: dict[str, str] = {
    r"^включить maintenance": "maintenance_on",
    r"backup": "backup",
    r"^deploy": "deploy",
    r"миграци": "migrate",
    r"^pre-import": "pre_import",
    r"^очистить": "flush",
    r"^импорт": "import",
    r"^post-migration": "postflight",
    r"^отключить maintenance": "maintenance_off",
    r"^smoke": "smoke",
}
"""The timetable's action (lower case, a regex) → the window's step."""
_ROW = re.compile(r"^\|\s*(\d\d:\d\d)\s*\|\s*([^|]+?)\s*\|\s*(\d+)\s*мин")


def timetable_budgets(markdown: str) -> dict[str, int]:
    """Per window step its budget in seconds, read from the runbook's "Deployment Window" table.

    >>> timetable_budgets("| 02:27 | Импорт каталога из 1С | 30 мин | Backend |")
    {'import': 1800}
    """
    budgets: dict[str, int] = {}
    for line in markdown.splitlines():
        match = _ROW.match(line.strip())
        if not match:
            continue
        action = match.group(2).lower().strip()
        for pattern, step in TIMETABLE_STEPS.items():
            if re.search(pattern, action) and step not in budgets:
                budgets[step] = int(match.group(3)) * 60
                break
    return budgets
