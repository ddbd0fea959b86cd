"""Settings for the backend's own tests: the real settings, with test defaults for the env.

pytest-django imports settings before any conftest runs, so the placeholders live here. The
database host/port/password are replaced by the disposable PostgreSQL server in conftest.py.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "freesport-tests-only-not-a-secret")
os.environ.setdefault("DATABASE_URL", "postgresql://postgres:placeholder@127.0.0.1:5432/freesport")
os.environ.setdefault("LOG_DIR", tempfile.mkdtemp(prefix="freesport-test-logs-"))
os.environ.setdefault("ONEC_EXCHANGE_USER", "exchange")
os.environ.setdefault("ONEC_EXCHANGE_PASSWORD", "exchange-test-password")

from freesport.settings import *  # noqa: E402,F403
from freesport.settings import INSTALLED_APPS  # noqa: E402

# A test-only app holding a model with a cascading FK to products (see apps/core/tests/cascade_app).
INSTALLED_APPS = [*INSTALLED_APPS, "apps.core.tests.cascade_app"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
