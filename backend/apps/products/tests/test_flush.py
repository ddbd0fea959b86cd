"""flush_products: the dry run shows every cascade per table; --confirm deletes only the catalog."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from apps.cart.models import Cart, CartItem
from apps.core.tests.cascade_app.models import LegacyOrderLine
from apps.orders.models import Order, OrderItem
from apps.products.models import Brand, Category, ColorMapping, Product, ProductVariant
from apps.products.services.flush import plan_flush
from apps.products.tests.factories import make_product
from apps.users.models import Favorite, User

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("flush_products", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def catalog() -> list[Product]:
    return [make_product(variants=3), make_product(variants=2)]


@pytest.fixture
def customers(catalog: list[Product]) -> User:
    user = User.objects.create_user("ivan", password="x")
    variant = catalog[0].variants.first()
    order = Order.objects.create(order_number="FS-1", user=user, total_amount=Decimal("1990.00"))
    OrderItem.objects.create(order=order, onec_id=variant.onec_id, sku=variant.sku, product_name="Кроссовки",
                             unit_price=Decimal("1990.00"), quantity=1, total_price=Decimal("1990.00"))
    cart = Cart.objects.create(user=user)
    CartItem.objects.create(cart=cart, onec_id=variant.onec_id, sku=variant.sku, product_name="Кроссовки",
                            unit_price=Decimal("1990.00"))
    Favorite.objects.create(user=user, product_onec_id=catalog[0].onec_id)
    return user


def test_dry_run_counts_products_and_cascaded_variants(catalog: list[Product]) -> None:
    plan = plan_flush()
    assert plan.deleted["products"] == 2
    assert plan.deleted["product_variants"] == 5
    assert plan.protected_touched == []
    assert plan.is_safe


def test_dry_run_deletes_nothing_and_prints_each_table(catalog: list[Product], customers: User) -> None:
    out = run("--dry-run")
    assert "Dry run: nothing deleted" in out
    rows = dict(line.split() for line in out.splitlines() if line.startswith("  ") and len(line.split()) == 2)
    assert rows["products"] == "2" and rows["product_variants"] == "5"
    assert "Protected tables touched: none" in out
    assert Product.objects.count() == 2 and ProductVariant.objects.count() == 5


def test_dry_run_json_is_machine_readable(catalog: list[Product]) -> None:
    report = json.loads(run("--dry-run", "--format", "json"))
    assert report["dry_run"] is True
    assert report["deleted"]["products"] == 2
    assert report["deleted"]["product_variants"] == 5
    assert report["total"] == 7
    assert report["protected_touched"] == []
    assert report["safe"] is True


def test_dry_run_shows_an_added_cascading_relation(catalog: list[Product]) -> None:
    LegacyOrderLine.objects.create(product=catalog[0], quantity=2)
    LegacyOrderLine.objects.create(product=catalog[1], quantity=1)
    report = json.loads(run("--dry-run", "--format", "json"))
    assert report["deleted"]["legacy_order_lines"] == 2


@override_settings(PROTECTED_TABLES=["orders", "order_items", "legacy_order_lines"])
def test_cascade_into_a_protected_table_is_flagged_and_refused(catalog: list[Product]) -> None:
    LegacyOrderLine.objects.create(product=catalog[0])
    out = run("--dry-run")
    assert "Protected tables touched: legacy_order_lines" in out
    with pytest.raises(CommandError, match="protected tables: legacy_order_lines"):
        run("--confirm", "--skip-interactive")
    assert Product.objects.count() == 2
    assert LegacyOrderLine.objects.count() == 1


def test_confirm_deletes_only_the_catalog(catalog: list[Product], customers: User) -> None:
    kept = {m: m.objects.count() for m in (Order, OrderItem, Cart, CartItem, User, Favorite, ColorMapping,
                                           Category, Brand)}
    report = json.loads(run("--confirm", "--skip-interactive", "--format", "json"))
    assert report["dry_run"] is False
    assert report["deleted"]["products"] == 2
    assert report["deleted"]["product_variants"] == 5
    assert Product.objects.count() == 0 and ProductVariant.objects.count() == 0
    assert {m: m.objects.count() for m in kept} == kept


def test_without_a_mode_nothing_is_deleted(catalog: list[Product]) -> None:
    with pytest.raises(CommandError, match="--dry-run"):
        run()
    assert Product.objects.count() == 2


def test_interactive_confirm_needs_a_typed_yes(catalog: list[Product], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        run("--confirm")
    assert Product.objects.count() == 2
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    run("--confirm")
    assert Product.objects.count() == 0


def test_dry_run_and_confirm_are_exclusive() -> None:
    with pytest.raises(CommandError):
        run("--dry-run", "--confirm")
