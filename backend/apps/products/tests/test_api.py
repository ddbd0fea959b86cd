"""The catalog API shapes the runbook's smoke tests read, and bounded query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.products.models import Category
from apps.products.tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db


def test_product_list_is_paginated_and_lists_active_products_only(client: Client) -> None:
    active = [make_product(variants=1) for _ in range(3)]
    make_product(variants=1, is_active=False)
    body = client.get("/api/products/", {"page_size": 2}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert len(body["results"]) == 2 and body["next"] and body["previous"] is None
    first = body["results"][0]
    assert first["slug"] == active[0].slug
    assert {"id", "name", "slug", "onec_id", "brand", "category", "images"} <= set(first)


def test_product_detail_has_variants_with_color_hex(client: Client) -> None:
    product = make_product(variants=3, colors=("темно-синий", "ЧЁРНЫЙ", "Неизвестный"))
    response = client.get(f"/api/products/{product.slug}/")
    assert response.status_code == 200
    variants = response.json()["variants"]
    assert len(variants) == 3
    assert {"sku", "color_name", "color_hex", "size_value", "price", "stock", "is_in_stock"} <= set(variants[0])
    assert [v["color_hex"] for v in variants] == ["#00008B", "#000000", None]
    assert variants[0]["price"] == "1990.00"
    assert variants[0]["stock"] == 0 and variants[0]["is_in_stock"] is False
    assert variants[1]["is_in_stock"] is True


def test_inactive_product_detail_is_404(client: Client) -> None:
    product = make_product(variants=1, is_active=False)
    assert client.get(f"/api/products/{product.slug}/").status_code == 404


def _queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_detail_query_count_does_not_grow_with_variants(client: Client) -> None:
    one, hundred = make_product(variants=1), make_product(variants=100)
    few = _queries_for(client, f"/api/products/{one.slug}/")
    many = _queries_for(client, f"/api/products/{hundred.slug}/")
    assert few == many <= 4


def test_list_query_count_does_not_grow_with_products(client: Client, django_assert_max_num_queries) -> None:
    for _ in range(20):
        make_product(variants=2)
    with django_assert_max_num_queries(2):
        client.get("/api/products/")


def test_categories_list_has_count(client: Client) -> None:
    make_category()
    make_category(is_active=False)
    body = client.get("/api/categories/").json()
    assert body["count"] == Category.objects.filter(is_active=True).count() == 1
    assert {"id", "name", "slug", "onec_id", "parent"} <= set(body["results"][0])
