"""FreeSport reference backend settings, read from the environment only (see README.md).

Required: ``DATABASE_URL`` (PostgreSQL) and ``SECRET_KEY``. Everything else has a default
that works on a fresh clone; a wrong value raises ``ImproperlyConfigured`` naming the variable.
"""

from __future__ import annotations

from pathlib import Path

from freesport.env import database_from_url, env_bool, env_dir, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = env_str("SECRET_KEY")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

DATABASES = {"default": database_from_url("DATABASE_URL", conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"

LOG_DIR = env_dir("LOG_DIR", BASE_DIR / "var" / "log")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
ONEC_DATA_DIR = env_dir("ONEC_DATA_DIR", BASE_DIR / "sample_data" / "commerceml", create=False)
# 1C price type name → price column: one file shared with the migration gate (deploy/price-types.yml)
PRICE_TYPES_FILE = Path(env_str("PRICE_TYPES_FILE", str(BASE_DIR.parent / "deploy" / "price-types.yml"))).expanduser().resolve()
ONEC_EXCHANGE_USER = env_str("ONEC_EXCHANGE_USER", "")
ONEC_EXCHANGE_PASSWORD = env_str("ONEC_EXCHANGE_PASSWORD", "")
ONEC_EXCHANGE_COOKIE_NAME = "freesport_1c_exchange"
# Tables no catalog operation may touch (flush_products refuses when its plan reaches one).
PROTECTED_TABLES = env_list("PROTECTED_TABLES", ["orders", "order_items", "carts", "cart_items", "users", "favorites"])

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "rest_framework",
    # apps.core before maintenance_mode: its maintenance_mode command adds `status`.
    "apps.core",
    "maintenance_mode",
    "apps.users",
    "apps.products",
    "apps.orders",
    "apps.cart",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "apps.core.middleware.MaintenanceModeMiddleware",
]

ROOT_URLCONF = "freesport.urls"
WSGI_APPLICATION = "freesport.wsgi.application"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True}]

LANGUAGE_CODE = "ru-ru"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = env_dir("STATIC_ROOT", BASE_DIR / "var" / "static", create=False)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.StandardPagination",
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 20),
}

# django-maintenance-mode: a state file per deployment; the API answers 503 with a JSON body.
MAINTENANCE_STATE_DIR = env_dir("MAINTENANCE_STATE_DIR", LOG_DIR)
MAINTENANCE_MODE_STATE_FILE_PATH = str(MAINTENANCE_STATE_DIR / "maintenance_mode_state.txt")
MAINTENANCE_MODE_RESPONSE_TYPE = "json"
MAINTENANCE_MODE_GET_CONTEXT = "apps.core.maintenance.maintenance_context"
MAINTENANCE_MODE_RETRY_AFTER = env_int("MAINTENANCE_RETRY_AFTER", 600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {
            "()": "freesport.logging.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "file": {"class": "logging.FileHandler", "filename": str(LOG_DIR / "django.log"), "formatter": "line",
                 "encoding": "utf-8"},
        "import_file": {"class": "logging.FileHandler", "filename": str(LOG_DIR / "import_products.log"),
                        "formatter": "line", "encoding": "utf-8", "delay": True},
        "console": {"class": "logging.StreamHandler", "formatter": "line"},
    },
    "root": {"handlers": ["file", "console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The importer's own log (the runbook tails import_products.log); records also reach django.log.
        "import_products": {"handlers": ["import_file"], "level": LOG_LEVEL},
        "apps.products.services": {"handlers": ["import_file"], "level": LOG_LEVEL},
        "apps.products.management.commands.import_products_from_1c": {"handlers": ["import_file"],
                                                                        "level": LOG_LEVEL},
    },
}
