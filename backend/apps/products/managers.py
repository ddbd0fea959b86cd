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
        """``brand_name`` and ``category_slug`` per row as subqueries, not joins (the list's page).

        With joins, a planner whose statistics say ``products`` is empty (right after
        ``flush_products`` and a full import, before autovacuum) hashes every product and sorts
        them for one page of 20: 100+ ms at 34,000 products. Without them the page stays an index
        scan in ``id`` order that stops after its rows, whatever the statistics say.
        """
        from apps.products.models import Brand, Category

        brand = Brand.objects.filter(pk=models.OuterRef("brand_id")).values("name")[:1]
        category = Category.objects.filter(pk=models.OuterRef("category_id")).values("slug")[:1]
        return self.annotate(brand_name=models.Subquery(brand), category_slug=models.Subquery(category))

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
