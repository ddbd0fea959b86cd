from django.apps import AppConfig


class Config(AppConfig):
    name = "catalog"
    default_auto_field = "django.db.models.BigAutoField"
