"""The catalog API shapes the runbook's smoke tests read, and bounded query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.products.models import Category, Product
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


def test_list_pages_are_the_active_products_in_id_order(client: Client) -> None:
    products = [make_product(variants=1) for _ in range(7)]
    make_product(variants=1, is_active=False)
    products.append(make_product(variants=1, brand=None, category=None))
    body = client.get("/api/products/", {"page_size": 3, "page": 3}).json()
    assert body["count"] == 8
    assert body["results"] == [
        {"id": p.id, "name": p.name, "slug": p.slug, "onec_id": p.onec_id, "brand": p.brand.name if p.brand else None,
         "category": p.category.slug if p.category else None, "images": p.images}
        for p in products[6:]
    ]
    assert list(body["results"][0]) == ["id", "name", "slug", "onec_id", "brand", "category", "images"]
    assert client.get("/api/products/", {"page_size": 3, "page": 4}).status_code == 404


def _plan_rows(plan: dict, tables: set[str]) -> list[int]:
    """Rows each scan of ``tables`` returned over all its loops, in an EXPLAIN ANALYZE (FORMAT JSON) tree."""
    own = [plan["Actual Rows"] * plan["Actual Loops"]] if plan.get("Relation Name") in tables else []
    return own + [n for child in plan.get("Plans", []) for n in _plan_rows(child, tables)]


@pytest.fixture
def statistics_of_an_empty_table() -> None:
    """``products`` as right after ``flush_products`` and a full import, before any ANALYZE: the
    planner's statistics describe pages of dead rows (no rows), the live rows came after."""
    flushed = Product.objects.bulk_create(Product(name=f"old {i}", slug=f"old-{i}", onec_id=f"old-{i}", description="x" * 200)
                                          for i in range(3000))
    Product.objects.filter(pk__in=[p.pk for p in flushed]).delete()
    with connection.cursor() as cur:
        cur.execute("ANALYZE products, brands, categories")


def _plan(sql: str) -> dict:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        return cur.fetchone()[0][0]["Plan"]


@pytest.mark.usefixtures("statistics_of_an_empty_table")
def test_list_page_reads_its_rows_only_even_with_statistics_of_an_empty_table(client: Client) -> None:
    """The page reads the products up to its end in ``id`` order, and brand and category for its own rows."""
    for _ in range(30):
        make_product(variants=0)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/api/products/", {"page_size": 5, "page": 2}).json()
    assert len(body["results"]) == 5
    plan = _plan(ctx.captured_queries[-1]["sql"])
    assert max(_plan_rows(plan, {"products"})) <= 10, plan
    assert sum(_plan_rows(plan, {"brands", "categories"})) <= 10, plan


@pytest.mark.usefixtures("statistics_of_an_empty_table")
def test_detail_reads_one_product_even_with_statistics_of_an_empty_table(client: Client) -> None:
    products = [make_product(variants=2) for _ in range(30)]
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(f"/api/products/{products[17].slug}/").json()
    assert (body["brand"], body["category"]) == (products[17].brand.name, products[17].category.slug)
    plan = _plan(ctx.captured_queries[0]["sql"])
    assert max(_plan_rows(plan, {"products"})) <= 1, plan
    assert sum(_plan_rows(plan, {"brands", "categories"})) <= 2, plan
