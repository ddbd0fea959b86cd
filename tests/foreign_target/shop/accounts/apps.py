from django.apps import AppConfig


class Config(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
