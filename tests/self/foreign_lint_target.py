"""A small foreign FreeSport deployment for runbook-lint: what the runbook assumes, it mostly lacks.

Its settings module lives on ``PYTHONPATH`` only (not beside ``manage.py``), its parser class
takes no argument and has no ``validate_files``, its migrations are ``0001_initial`` and
``0002_productvariant``, its repository has commits but no tags, it has no ``scripts/deploy``,
and its 1C export is a tree (no ``*.xml`` at the top).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FILES = {
    "app/manage.py": """import os, sys
if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foreign_site.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
""",
    "pylib/foreign_site/__init__.py": "",
    "pylib/foreign_site/settings.py": """SECRET_KEY = "foreign"
INSTALLED_APPS = ["django.contrib.contenttypes", "apps.products"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ROOT_URLCONF = "foreign_site.urls"
USE_TZ = True
""",
    "pylib/foreign_site/urls.py": """from django.http import HttpResponse
from django.urls import path
urlpatterns = [path("api/v1/products/", lambda r: HttpResponse("[]"), name="product-list")]
""",
    "app/apps/__init__.py": "",
    "app/apps/products/__init__.py": "",
    "app/apps/products/apps.py": """from django.apps import AppConfig
class ProductsConfig(AppConfig):
    name = "apps.products"
""",
    "app/apps/products/migrations/__init__.py": "",
    "app/apps/products/migrations/0001_initial.py": """from django.db import migrations
class Migration(migrations.Migration):
    initial = True
    operations = []
""",
    "app/apps/products/migrations/0002_productvariant.py": """from django.db import migrations
class Migration(migrations.Migration):
    dependencies = [("products", "0001_initial")]
    operations = []
""",
    "app/apps/products/services/__init__.py": "",
    "app/apps/products/services/parser.py": """class XMLDataParser:
    def __init__(self):
        self.root = "/srv/1c"
    def parse(self, strict=False):
        return []
""",
    "exchange/import/goods/goods_1.xml": "<КоммерческаяИнформация/>",
}


def make_foreign_target(root: Path) -> dict[str, str]:
    """Write the deployment under ``root``; returns its env file's settings (and writes ``root/foreign.env``)."""
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    app = root / "app"
    git = ["git", "-C", str(app), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "v13.3 as deployed"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    (root / "log").mkdir(exist_ok=True)
    env = {
        "BACKEND_DIR": str(app),
        "MANAGE_CMD": f"{sys.executable} manage.py",
        "PYTHONPATH": str(root / "pylib"),
        "DJANGO_SETTINGS_MODULE": "foreign_site.settings",
        "API_PREFIX": "/api/v1",
        "ONEC_DATA_DIR": str(root / "exchange"),
        "LOG_DIR": str(root / "log"),
        "RUNBOOK_PATHS": f".={app}",
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/nothing",
        "RELEASE_COMMIT": commit,
    }
    (root / "foreign.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return env
