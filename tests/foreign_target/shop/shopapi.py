"""The foreign shop's HTTP side: /api/v1/ JSON views, a 1C exchange checkauth, maintenance by a flag file."""
import base64
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse, JsonResponse
from django.urls import path


class MaintenanceMiddleware:
    """503 for every /api/v1/ request while the flag file exists (there is no maintenance_mode command)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        on = os.path.exists(settings.MAINTENANCE_FLAG)
        if request.path == "/api/v1/health/":
            return JsonResponse({"status": "ok", "maintenance": on})
        if on and request.path.startswith("/api/v1/"):
            return JsonResponse({"detail": "maintenance"}, status=503)
        return self.get_response(request)


def products(request):
    from catalog.models import Product

    qs = Product.objects.filter(is_active=True).order_by("id")
    return JsonResponse({"count": qs.count(), "results": [{"id": p.id, "name": p.name, "slug": p.slug}
                                                          for p in qs[:50]]})


def product(request, slug):
    from catalog.models import Product

    p = Product.objects.filter(slug=slug).first()
    if p is None:
        return JsonResponse({"detail": "not found"}, status=404)
    variants = [{"id": v.id, "sku": v.sku, "current_price": str(v.current_price) if v.current_price is not None
                 else None, "stock": v.stock} for v in p.variants.order_by("id")]
    return JsonResponse({"id": p.id, "name": p.name, "slug": p.slug, "variants": variants})


def categories(request):
    from catalog.models import Category

    return JsonResponse({"count": Category.objects.count(),
                         "results": [{"id": c.id, "name": c.name} for c in Category.objects.order_by("id")]})


def exchange(request):
    """CommerceML exchange, checkauth only; credentials from SHOP_EXCHANGE_USER/PASSWORD (no database write)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    expected = f"{os.environ.get('SHOP_EXCHANGE_USER', '')}:{os.environ.get('SHOP_EXCHANGE_PASSWORD', '')}"
    if not header.startswith("Basic ") or base64.b64decode(header[6:]).decode() != expected:
        return HttpResponse("failure\nauthorization required", status=401)
    return HttpResponse("success\nsessionid\nforeign", content_type="text/plain")


urlpatterns = [
    path("api/v1/products/", products),
    path("api/v1/products/<slug:slug>/", product),
    path("api/v1/categories/", categories),
    path("api/integration/1c/exchange/", exchange),
]
application = get_wsgi_application()
