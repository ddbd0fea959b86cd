"""Attachments for checks: what a check saw, shown in the Allure report beside its result.

Checks call these instead of ``allure.attach`` directly so every text attachment goes
through the redaction pass (a count table may sit next to a connection string) and the
MIME type is right for Allure's viewer. Outside an Allure run they do nothing.

>>> attach_json({"products": 1200}, "counts")
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

import allure

from gate.redact import redact, redact_obj

_BY_SUFFIX: Final = {
    ".json": allure.attachment_type.JSON,
    ".txt": allure.attachment_type.TEXT,
    ".log": allure.attachment_type.TEXT,
    ".sql": allure.attachment_type.TEXT,
    ".md": allure.attachment_type.TEXT,
    ".csv": allure.attachment_type.CSV,
    ".tsv": allure.attachment_type.TSV,
    ".png": allure.attachment_type.PNG,
    ".svg": allure.attachment_type.SVG,
    ".html": allure.attachment_type.HTML,
}
_BINARY: Final = {allure.attachment_type.PNG}


def attach_json(data: object, name: str) -> None:
    """Attach a JSON-serialisable value (redacted) as a JSON attachment."""
    body = json.dumps(redact_obj(data), indent=2, ensure_ascii=False, default=str)
    allure.attach(body, name=name, attachment_type=allure.attachment_type.JSON)


def attach_text(text: str, name: str) -> None:
    """Attach plain text (redacted)."""
    allure.attach(redact(text), name=name, attachment_type=allure.attachment_type.TEXT)


def attach_png(png: bytes | Path | str, name: str) -> None:
    """Attach a PNG given as bytes or as a path to the file."""
    body = png if isinstance(png, bytes) else Path(png).read_bytes()
    allure.attach(body, name=name, attachment_type=allure.attachment_type.PNG)


def attach_file(path: Path | str, name: str | None = None) -> None:
    """Attach a file from the run dir, typed by its suffix; text files are redacted first."""
    path = Path(path)
    kind = _BY_SUFFIX.get(path.suffix.lower(), allure.attachment_type.TEXT)
    if kind in _BINARY:
        allure.attach(path.read_bytes(), name=name or path.name, attachment_type=kind)
        return
    allure.attach(redact(path.read_text(encoding="utf-8", errors="replace")), name=name or path.name, attachment_type=kind)
