from django.apps import AppConfig


class CascadeAppConfig(AppConfig):
    name = "apps.core.tests.cascade_app"
    label = "cascade_app"
