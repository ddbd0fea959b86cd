"""URL map: the public REST API, health and the 1C exchange endpoint, all under /api/."""

from django.urls import include, path

urlpatterns = [
    path("api/", include("apps.core.urls")),
    path("api/", include("apps.products.api.urls")),
]
