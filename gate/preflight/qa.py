"""QA gate files (``docs/qa/gates/*.yml``): one per story, ``gate: PASS`` when QA signed it.

>>> QaGates(Path("/nonexistent")).status("13.1")
'missing'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True, slots=True)
class QaGate:
    """One QA gate file: the story it covers and its gate value."""

    path: Path
    story: str
    gate: str


class QaGates:
    """The QA gate files of a directory, by story.

    >>> QaGates(Path("/nonexistent")).failing(["13.1"])
    ['13.1: no QA gate file in /nonexistent']
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def gates(self) -> list[QaGate]:
        """Every readable gate file; the story comes from ``story:`` or the file name (``13.1-...yml``)."""
        found: list[QaGate] = []
        if not self.directory.is_dir():
            return found
        for path in sorted([*self.directory.glob("*.yml"), *self.directory.glob("*.yaml")]):
            try:
                data = yaml.safe_load(path.read_text()) or {}
            except yaml.YAMLError:
                data = {"gate": "UNREADABLE"}
            if not isinstance(data, dict):
                data = {"gate": "UNREADABLE"}
            story = str(data.get("story") or "")
            if not story:
                match = re.match(r"(\d+\.\d+)", path.name)
                story = match.group(1) if match else path.stem
            found.append(QaGate(path, story, str(data.get("gate", "")).strip().upper()))
        return found

    def status(self, story: str) -> str:
        """``PASS``/``FAIL``/``CONCERNS``/… of the story's gate file, ``missing`` when none."""
        gates = [g for g in self.gates() if g.story == story]
        if not gates:
            return "missing"
        return "PASS" if all(g.gate == "PASS" for g in gates) else ",".join(sorted({g.gate or "EMPTY" for g in gates}))

    def failing(self, stories: list[str]) -> list[str]:
        """One line per story that has no gate file or a gate other than PASS."""
        problems = []
        for story in stories:
            status = self.status(story)
            if status == "missing":
                problems.append(f"{story}: no QA gate file in {self.directory}")
            elif status != "PASS":
                files = ", ".join(g.path.name for g in self.gates() if g.story == story)
                problems.append(f"{story}: gate {status} ({files})")
        return problems
