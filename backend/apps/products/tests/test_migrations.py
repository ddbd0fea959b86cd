"""The release's migrations: v13.3 -> v13.4 forward on a database with rows, and back.

Forward keeps every product row and every protected row; backward restores the v13.3 schema but
not the per-SKU values (the documented reason the rollback is a backup restore).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

V133 = ("products", "0001_initial")
V134 = ("products", "0004_remove_product_per_sku_fields")
V133_TARGETS = [V133, ("users", "0001_initial"), ("orders", "0001_initial"), ("cart", "0001_initial")]
PER_SKU_COLUMNS = {"sku", "parent_onec_id", "color_name", "size_value", "retail_price", "opt1_price", "opt2_price",
                   "opt3_price", "trainer_price", "federation_price", "stock_quantity", "reserved_quantity"}
EXPECTED_PLAN = ["0002_colormapping_productvariant", "0003_load_basic_colors", "0004_remove_product_per_sku_fields"]


def columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


def tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def protected_rows() -> dict[str, list[tuple]]:
    with connection.cursor() as cursor:
        out = {}
        for table in ("users", "orders", "order_items", "carts", "cart_items", "favorites"):
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")
            out[table] = cursor.fetchall()
        return out


def seed_v133(apps) -> None:
    Category = apps.get_model("products", "Category")
    Brand = apps.get_model("products", "Brand")
    Product = apps.get_model("products", "Product")
    User = apps.get_model("users", "User")
    Order = apps.get_model("orders", "Order")
    OrderItem = apps.get_model("orders", "OrderItem")
    Cart = apps.get_model("cart", "Cart")
    CartItem = apps.get_model("cart", "CartItem")
    Favorite = apps.get_model("users", "Favorite")
    category = Category.objects.create(name="Обувь", slug="obuv", onec_id="cat-1")
    brand = Brand.objects.create(name="Nike", slug="nike", onec_id="brand-1")
    for i, (color, size) in enumerate([("Черный", "42"), ("Черный", "43"), ("Белый", "42")]):
        Product.objects.create(
            name=f"Кроссовки Air {color} {size}", slug=f"air-{i}", onec_id=f"prod-1#var-{i}", parent_onec_id="prod-1",
            sku=f"AIR-{i}", brand=brand, category=category, color_name=color, size_value=size,
            retail_price=Decimal("4990.00"), opt1_price=Decimal("3990.00"), stock_quantity=5, reserved_quantity=1,
        )
    user = User.objects.create(username="ivan", password="!")
    order = Order.objects.create(order_number="FS-1", user=user, total_amount=Decimal("4990.00"))
    OrderItem.objects.create(order=order, onec_id="prod-1#var-0", sku="AIR-0", product_name="Кроссовки Air",
                             unit_price=Decimal("4990.00"), quantity=1, total_price=Decimal("4990.00"))
    cart = Cart.objects.create(user=user)
    CartItem.objects.create(cart=cart, onec_id="prod-1#var-1", sku="AIR-1", product_name="Кроссовки Air",
                            unit_price=Decimal("4990.00"))
    Favorite.objects.create(user=user, product_onec_id="prod-1")


def pending_products_plan() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [m.name for m, backwards in plan if m.app_label == "products" and not backwards]


def at_v133(migrator):
    """A clean v13.3 database; the second call unapplies product migrations the initial plan ran past."""
    migrator.apply_initial_migration(V133_TARGETS)
    return migrator.apply_tested_migration(V133_TARGETS)


@pytest.mark.django_db(transaction=True)
def test_v133_to_v134_forward_keeps_rows_and_protected_tables(migrator) -> None:
    old = at_v133(migrator)
    seed_v133(old.apps)
    assert columns("products") >= PER_SKU_COLUMNS
    assert pending_products_plan() == EXPECTED_PLAN
    before = protected_rows()

    new = migrator.apply_tested_migration(V134)

    assert not PER_SKU_COLUMNS & columns("products")
    assert {"color_mappings", "product_variants"} <= tables()
    assert new.apps.get_model("products", "ColorMapping").objects.count() == 20
    assert new.apps.get_model("products", "Product").objects.count() == 3
    assert new.apps.get_model("products", "ProductVariant").objects.count() == 0
    assert protected_rows() == before


@pytest.mark.django_db(transaction=True)
def test_v134_back_to_v133_restores_schema_but_not_per_sku_values(migrator) -> None:
    old = at_v133(migrator)
    seed_v133(old.apps)
    before = protected_rows()
    migrator.apply_tested_migration(V134)

    back = migrator.apply_tested_migration(V133)

    assert columns("products") >= PER_SKU_COLUMNS
    assert not {"color_mappings", "product_variants"} & tables()
    Product = back.apps.get_model("products", "Product")
    assert Product.objects.count() == 3
    assert set(Product.objects.values_list("sku", "stock_quantity", "retail_price")) == {(None, 0, None)}
    assert protected_rows() == before
