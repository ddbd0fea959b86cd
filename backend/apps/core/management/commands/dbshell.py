"""``dbshell`` that also takes ``-c SQL``, as the runbook types it (``dbshell -c "SELECT 1;"``).

Django's dbshell only passes client options after ``--``; the runbook's troubleshooting line
would otherwise fail with "unrecognized arguments".
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.core.management.commands.dbshell import Command as StockCommand


class Command(StockCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("-c", "--command", dest="sql", default=None, help="run one SQL command and exit (psql -c)")

    def handle(self, **options: Any) -> None:
        if options.get("sql"):
            options["parameters"] = ["-c", options["sql"], *options["parameters"]]
        super().handle(**options)
