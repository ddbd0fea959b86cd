from django.apps import AppConfig


class Config(AppConfig):
    name = "orders"
    default_auto_field = "django.db.models.BigAutoField"
