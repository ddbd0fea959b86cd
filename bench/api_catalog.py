"""Program (runs inside the bundled backend, ``manage.py shell -c``): the catalog bench_api_latency.py measures.

Sent by ``gate.probes.source("api_catalog", {...}, directory=bench/)``, never imported: one product
with ``variants`` variants (the measured detail page) and ``products - 1`` more with 5 each.
"""

from __future__ import annotations

from decimal import Decimal

from apps.products.models import Brand, Category, Product, ProductVariant

COLORS = ("Черный", "Белый", "Тёмно-синий", "красный", "Неизвестный")


def main(given: dict[str, int]) -> int:
    """Create the catalog; answer how many variants it holds."""
    cat = Category.objects.create(name="Обувь", slug="obuv", onec_id="bench-cat")
    brand = Brand.objects.create(name="Bench", slug="bench", onec_id="bench-brand")
    for p in range(given["products"]):
        n = given["variants"] if p == 0 else 5
        product = Product.objects.create(name=f"Товар {p}", slug=f"bench-{p}", onec_id=f"bench-{p}",
                                         brand=brand, category=cat, description="x" * 500)
        ProductVariant.objects.bulk_create(
            ProductVariant(product=product, sku=f"B-{p}-{v}", onec_id=f"bench-{p}#v{v}",
                           color_name=COLORS[v % len(COLORS)], size_value=str(30 + v % 20),
                           retail_price=Decimal("1000.00") + v, stock_quantity=v % 7, reserved_quantity=v % 2)
            for v in range(n))
    return int(ProductVariant.objects.count())
