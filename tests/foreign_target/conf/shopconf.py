"""Settings of the foreign shop, found through PYTHONPATH (not inside the project): DB_* variables, level-first log."""
import os

SECRET_KEY = os.environ.get("SHOP_SECRET", "foreign-shop-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.contenttypes", "accounts", "catalog", "orders"]
MIDDLEWARE = ["shopapi.MaintenanceMiddleware"]
ROOT_URLCONF = "shopapi"
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": os.environ["DB_NAME"], "HOST": os.environ["DB_HOST"],
    "PORT": os.environ["DB_PORT"], "USER": os.environ["DB_USER"], "PASSWORD": os.environ.get("DB_PASSWORD", ""),
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
MAINTENANCE_FLAG = os.environ.get("SHOP_MAINTENANCE_FLAG", "/tmp/shop-maintenance.flag")
LOG_DIR = os.environ.get("SHOP_LOG_DIR", "/tmp")
LOGGING = {
    "version": 1,
    "formatters": {"level_first": {"format": "%(levelname)s %(asctime)s %(name)s %(message)s"}},
    "handlers": {"file": {"class": "logging.FileHandler", "filename": os.path.join(LOG_DIR, "django.log"),
                          "formatter": "level_first"}},
    "loggers": {"django": {"handlers": ["file"], "level": "INFO"}},
}
