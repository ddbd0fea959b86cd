"""Tiny builders for catalog rows in tests (real models, real database)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from apps.products.models import Brand, Category, Product, ProductVariant

_seq = itertools.count(1)


def make_category(**kw: object) -> Category:
    n = next(_seq)
    return Category.objects.create(**{"name": f"Категория {n}", "slug": f"cat-{n}", "onec_id": f"cat-guid-{n}", **kw})


def make_product(variants: int = 1, colors: tuple[str, ...] = ("Черный",), **kw: object) -> Product:
    n = next(_seq)
    brand = Brand.objects.create(name=f"Brand {n}", slug=f"brand-{n}", onec_id=f"brand-guid-{n}")
    defaults: dict[str, object] = {"name": f"Кроссовки {n}", "slug": f"product-{n}", "onec_id": f"prod-guid-{n}",
                                   "brand": brand, "category": make_category()}
    product = Product.objects.create(**{**defaults, **kw})
    ProductVariant.objects.bulk_create(
        ProductVariant(
            product=product, sku=f"SKU-{n}-{i}", onec_id=f"{product.onec_id}#var-{i}",
            color_name=colors[i % len(colors)], size_value=str(36 + i % 10),
            retail_price=Decimal("1990.00") + i, stock_quantity=i % 5, reserved_quantity=0,
        )
        for i in range(variants)
    )
    return product
