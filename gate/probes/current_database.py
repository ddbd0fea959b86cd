"""Probe (runs inside the target): the database the code's own settings connect to (MIG-05's copy check)."""

from __future__ import annotations

from django.db import connection


def main(_: object) -> str:
    """``current_database()`` through the code's default connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        return str(cursor.fetchone()[0])
