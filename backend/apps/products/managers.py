"""QuerySets of the catalog: adjectives the API and services compose."""

from __future__ import annotations

from django.db import models


class CategoryQuerySet(models.QuerySet):
    def active(self) -> CategoryQuerySet:
        return self.filter(is_active=True)


class ProductQuerySet(models.QuerySet):
    def active(self) -> ProductQuerySet:
        return self.filter(is_active=True)

    def with_variants(self) -> ProductQuerySet:
        """Brand, category and active variants in three queries, whatever the variant count."""
        from apps.products.models import ProductVariant


        variants = ProductVariant.objects.active().order_by("id")
        return self.select_related("brand", "category").prefetch_related(
            models.Prefetch("variants", queryset=variants)
        )


class ProductVariantQuerySet(models.QuerySet):
    def active(self) -> ProductVariantQuerySet:
        return self.filter(is_active=True)

    def in_stock(self) -> ProductVariantQuerySet:
        return self.filter(stock_quantity__gt=models.F("reserved_quantity"))
