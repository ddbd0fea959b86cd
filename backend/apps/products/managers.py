"""QuerySets of the catalog: adjectives the API and services compose."""

from __future__ import annotations

from django.db import models


class CategoryQuerySet(models.QuerySet):
    def active(self) -> CategoryQuerySet:
        return self.filter(is_active=True)


class ProductQuerySet(models.QuerySet):
    def active(self) -> ProductQuerySet:
        return self.filter(is_active=True)

    def with_brand_and_category(self) -> ProductQuerySet:
        """``brand_name`` and ``category_slug`` per row as subqueries, not joins.

        With joins, a planner whose statistics say ``products`` is empty (right after
        ``flush_products`` and a full import, before the next ANALYZE) may scan every product for
        one row: it hashed and sorted 34,000 for the list's page of 20 (100+ ms), and the detail
        took 40-50 ms instead of 10. Without joins the page stays an index scan in ``id`` order
        that stops after its rows, and the detail a lookup of its slug.
        """
        from apps.products.models import Brand, Category

        brand = Brand.objects.filter(pk=models.OuterRef("brand_id")).values("name")[:1]
        category = Category.objects.filter(pk=models.OuterRef("category_id")).values("slug")[:1]
        return self.annotate(brand_name=models.Subquery(brand), category_slug=models.Subquery(category))

    def with_variants(self) -> ProductQuerySet:
        """Brand name, category slug (``with_brand_and_category``) and active variants in two queries."""
        from apps.products.models import ProductVariant

        variants = ProductVariant.objects.active().order_by("id")
        return self.with_brand_and_category().prefetch_related(models.Prefetch("variants", queryset=variants))


class ProductVariantQuerySet(models.QuerySet):
    def active(self) -> ProductVariantQuerySet:
        return self.filter(is_active=True)

    def in_stock(self) -> ProductVariantQuerySet:
        return self.filter(stock_quantity__gt=models.F("reserved_quantity"))
