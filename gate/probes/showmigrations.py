"""Probe (runs inside the target): ``showmigrations --plan`` as the command prints it (MIG-01)."""

from __future__ import annotations

import io

from django.core.management import call_command


def main(_: object) -> str:
    """The plan text, read by the gate like the command's output (``gate.migrations.plan.parse_plan``)."""
    buf = io.StringIO()
    call_command("showmigrations", "--plan", stdout=buf)
    return buf.getvalue()
