"""Probe (runs inside the code under rehearsal): the database its own settings connect to, and a tag to find it by.

``main({"tag": …})`` names the code's connection (``application_name``, this session only), then
answers what the code's settings say (``HOST``/``PORT``/``NAME``/``USER``) and what the server says
(``current_database()``, ``inet_server_port()``). Sent with ``hold=True``, the program then waits
for a line on stdin with that connection still open, so the rehearsal can ask the disposable
server's ``pg_stat_activity`` whether the tagged connection is there (rehearse/code.py).
"""

from __future__ import annotations

from django.db import connection


def main(given: dict[str, str]) -> dict[str, object]:
    """``{"settings": {HOST, PORT, NAME, USER}, "database": …, "port": …}`` of the code's default connection."""
    settings = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('application_name', %s, false)", [given["tag"]])
        cursor.execute("SELECT current_database(), inet_server_port()")
        row = cursor.fetchone()
    name, port = row if row else ("", None)
    return {"settings": {k: str(settings.get(k) or "") for k in ("HOST", "PORT", "NAME", "USER")},
            "database": name, "port": port}
