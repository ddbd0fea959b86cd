from django.urls import path

from apps.core.exchange import exchange
from apps.core.health import health

urlpatterns = [
    path("health/", health, name="health"),
    path("integration/1c/exchange/", exchange, name="onec-exchange"),
]
