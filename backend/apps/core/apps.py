from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Health, maintenance mode and the 1C exchange endpoint: no models of its own."""

    name = "apps.core"
    label = "core"
