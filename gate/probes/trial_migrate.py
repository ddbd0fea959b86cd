"""Program (runs inside the release's code): MIG-05's migrations on the copy, all in one process.

``main({"mark": …})`` first says which database the code's settings connect to and what is unapplied
there (``{"database": current_database(), "plan": ["app.name", …]}``: the gate's safety check, and the
copy's own forwards plan in plan order, which the gate may migrate before it knows the target's) and
closes that connection; then it
reads stdin, one line per migration (``app name``; ``*``: one plain ``migrate``). For each line it
says ``{"started": line}`` (the handshake: a command that does not forward stdin never gets here),
runs ``migrate`` with its output captured, closes Django's connections (so the server's backend
exits and flushes its per-table counters before the gate measures the copy) and says
``{"migration": line, "exit": …, "duration_s": …, "output": tail}``. It stops at the first failure
or at the end of stdin. Every answer is one ``mark``-prefixed JSON line on stdout, flushed.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
import traceback

from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor


def _say(mark: str, what: dict[str, object]) -> None:
    sys.stdout.write(mark + json.dumps(what) + "\n")
    sys.stdout.flush()


def _migrate(words: list[str]) -> tuple[int, str]:
    """``migrate`` (``words``: ``[app, name]`` or ``["*"]``): its exit code and output."""
    out = io.StringIO()
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            call_command("migrate", *([] if words == ["*"] else words[:2]), interactive=False, stdout=out,
                         stderr=out)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) and exc.code else 1
    except Exception:  # the failing migration's traceback is its output, as manage.py would print it
        out.write(traceback.format_exc())
        code = 1
    finally:
        connections.close_all()
    return code, out.getvalue()


def main(given: dict[str, str]) -> dict[str, int]:
    """The handshake and the migrations; answers ``{"ran": n}`` at the end."""
    mark = given["mark"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        row = cursor.fetchone()
    executor = MigrationExecutor(connection)
    plan = [f"{migration.app_label}.{migration.name}"
            for migration, backwards in executor.migration_plan(executor.loader.graph.leaf_nodes()) if not backwards]
    connections.close_all()
    _say(mark, {"database": str(row[0]) if row else "", "plan": plan})
    ran = 0
    for line in iter(sys.stdin.readline, ""):
        words = line.split()
        if not words:
            break
        label = " ".join(words)
        _say(mark, {"started": label})
        t0 = time.monotonic()
        code, output = _migrate(words)
        ran += 1
        _say(mark, {"migration": label, "exit": code, "duration_s": round(time.monotonic() - t0, 3),
                    "output": output[-2000:]})
        if code:
            break
    return {"ran": ran}
