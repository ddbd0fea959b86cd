"""``maintenance_mode on|off|status``: django-maintenance-mode's command plus ``status``.

It always prints the resulting state (the stock command is silent below verbosity 3), so the
runbook's step and the gate's MNT checks see what happened.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from maintenance_mode.management.commands.maintenance_mode import Command as StockCommand

from apps.core.maintenance import is_maintenance_on


class Command(StockCommand):
    args = "<on|off|status>"
    help = "Turn maintenance mode on or off (the public API answers 503 while on), or print its status."

    def handle(self, *args: Any, **options: Any) -> None:
        state = str(options["state"]).lower()
        if state != "status":
            super().handle(*args, **options)
        on = is_maintenance_on()
        self.stdout.write(f"maintenance mode: {'on' if on else 'off'}")
        if int(options["verbosity"]) >= 2:
            self.stdout.write(f"state file: {settings.MAINTENANCE_MODE_STATE_FILE_PATH}")
