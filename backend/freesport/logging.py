"""One log record = one line, so ``grep -c ERROR django.log`` counts errors, not traceback lines."""

from __future__ import annotations

import logging


class OneLineFormatter(logging.Formatter):
    """Formats like ``logging.Formatter`` but folds tracebacks and embedded newlines into ``\\n``."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", "\\n")
