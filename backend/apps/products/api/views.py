"""Read-only catalog API; every view issues a fixed number of queries whatever the page holds."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import generics

from apps.products.api.serializers import CategorySerializer, ProductDetailSerializer, ProductListSerializer
from apps.products.models import Category, ColorMapping, Product


class ProductListView(generics.ListAPIView):
    """Active products, paginated ``{count, next, previous, results}`` (2 queries: count, page).

    The page reads only the columns the list shows, its rows by primary key
    (``apps.core.pagination.KeyedPaginator``) and brand and category as subqueries: with
    statistics that call ``products`` empty (after a flush, until the next ANALYZE) a join lets
    the planner scan every product for a page of 20 (``ProductQuerySet.with_brand_and_category``).
    """

    serializer_class = ProductListSerializer
    columns = ("id", "name", "slug", "onec_id", "images")  # the model fields ProductListSerializer reads

    def get_queryset(self) -> QuerySet[Product]:
        return Product.objects.active().with_brand_and_category().only(*self.columns).order_by("id")


class ProductDetailView(generics.RetrieveAPIView):
    """One active product with its active ``variants[]`` (3 queries: product, variants, colors)."""

    serializer_class = ProductDetailSerializer
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Product]:
        return Product.objects.active().with_variants()

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "color_hex_by_name": ColorMapping.hex_by_name()}


class CategoryListView(generics.ListAPIView):
    """Active categories, paginated with ``count``."""

    serializer_class = CategorySerializer

    def get_queryset(self) -> QuerySet[Category]:
        return Category.objects.active().order_by("id")
