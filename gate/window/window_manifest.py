"""Every command line the window's steps run, as runbook lines: what RUN-01..03 lint.

Why a manifest: RUN-01..03 prove *the window's* commands fit the deployed release (the step
scripts' manage.py calls, the scripts and tools, the API routes the postflight and smoke call),
with the same machinery ``make runbook-lint`` applies to any Markdown runbook.

>>> any("flush_products --dry-run" in line.text for line in window_lines())
True
"""

from __future__ import annotations

import shlex
from urllib.parse import urlsplit

from gate.runbook.extract import ShellLine, extract_lines
from gate.settings import Settings, load_settings
from gate.window.stages import SCRIPTS

API_PATHS = ("/products/", "/products/{slug}/", "/categories/", "/health/")


def window_markdown(settings: Settings | None = None) -> str:
    """The window's commands as a Markdown shell block."""
    s = settings or load_settings()
    host = "http://localhost:8000" + s.api_prefix
    maintenance = [c for c in (s.maintenance_on_cmd, s.maintenance_off_cmd) if c]
    if not s.maintenance_on_cmd or not s.maintenance_off_cmd:
        maintenance += [f"python manage.py maintenance_mode {m}" for m, c in
                        (("on", s.maintenance_on_cmd), ("off", s.maintenance_off_cmd)) if not c]
        maintenance.append("python manage.py maintenance_mode status")
    onec = urlsplit(s.onec_url)
    lines = [
        *(_manage_line(c) for c in maintenance),
        "python manage.py collectstatic --noinput",
        "python manage.py showmigrations --plan",
        "python manage.py sqlmigrate products 0002",
        "python manage.py migrate --noinput",
        f"python manage.py flush_products {s.flush_dry_run_args}".rstrip(),
        f"python manage.py flush_products {s.flush_args}".rstrip(),
        " ".join(["python manage.py import_products_from_1c", *shlex.split(s.import_args), "--data-dir /data"]),
        "python manage.py shell -c 'print(1)'",
        "./scripts/deploy/backup_production_db.sh",
        *(f"./scripts/steps/{p.name}" for p in sorted(SCRIPTS.glob("*.sh")) if not p.name.startswith("_")),
        "pg_dump --version", "pg_restore --list x.dump", "sha256sum x.dump", "git --version", "bash --version",
        *(f"curl -fsS {host}{p.replace('{slug}', 'some-product-slug')}" for p in API_PATHS),
        f"curl -fsS http://localhost:8000{onec.path or '/'}",  # the URL ONE-01 calls (ONEC_HEALTHCHECK_URL)
    ]
    return "```bash\n" + "\n".join(lines) + "\n```\n"


def _manage_line(command: str) -> str:
    """A configured command as the window runs it (``$MANAGE_CMD`` linted as ``python manage.py``).

    >>> _manage_line("$MANAGE_CMD maintenance on && touch /srv/flag")
    'python manage.py maintenance on && touch /srv/flag'
    """
    return command.replace("${MANAGE_CMD}", "python manage.py").replace("$MANAGE_CMD", "python manage.py")


def window_lines(settings: Settings | None = None) -> list[ShellLine]:
    """The manifest as extracted lines."""
    return extract_lines(window_markdown(settings))
