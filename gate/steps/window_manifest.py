"""Every command line the window's steps run, as runbook lines: what RUN-01..03 lint.

Why a manifest: RUN-01..03 prove *the window's* commands fit the deployed release (the step
scripts' manage.py calls, the scripts and tools, the API routes the postflight and smoke call),
with the same machinery ``make runbook-lint`` applies to any Markdown runbook.

>>> any("flush_products --dry-run" in line.text for line in window_lines())
True
"""

from __future__ import annotations

from gate.runbook.extract import ShellLine, extract_lines
from gate.settings import Settings, load_settings
from gate.steps.plan import SCRIPTS

API_PATHS = ("/products/", "/products/{slug}/", "/categories/", "/health/", "/integration/1c/exchange/")


def window_markdown(settings: Settings | None = None) -> str:
    """The window's commands as a Markdown shell block."""
    s = settings or load_settings()
    host = "http://localhost:8000" + s.api_prefix
    lines = [
        "python manage.py maintenance_mode on",
        "python manage.py maintenance_mode off",
        "python manage.py maintenance_mode status",
        "python manage.py collectstatic --noinput",
        "python manage.py showmigrations --plan",
        "python manage.py sqlmigrate products 0002",
        "python manage.py migrate --noinput",
        "python manage.py flush_products --dry-run --format json",
        "python manage.py flush_products --confirm --skip-interactive --format json",
        f"python manage.py import_products_from_1c {s.import_args} --data-dir /data",
        "python manage.py shell -c 'print(1)'",
        "./scripts/deploy/backup_production_db.sh",
        *(f"./scripts/steps/{p.name}" for p in sorted(SCRIPTS.glob("*.sh")) if not p.name.startswith("_")),
        "pg_dump --version", "pg_restore --list x.dump", "sha256sum x.dump", "git --version", "bash --version",
        *(f"curl -fsS {host}{p.replace('{slug}', 'some-product-slug')}" for p in API_PATHS),
    ]
    return "```bash\n" + "\n".join(lines) + "\n```\n"


def window_lines(settings: Settings | None = None) -> list[ShellLine]:
    """The manifest as extracted lines."""
    return extract_lines(window_markdown(settings))
