"""Catalog models and the constraints the importer and the gate rely on."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.products.models import ColorMapping, ProductVariant, normalize_color_name
from apps.products.tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_migration_loads_twenty_basic_colors() -> None:
    assert ColorMapping.objects.count() == 20
    assert ColorMapping.objects.get(name="Тёмно-синий").hex_code == "#00008B"


@pytest.mark.parametrize("hex_code", ["#FFF", "FFFFFF", "#GGGGGG", "#1234567", "red"])
def test_colormapping_rejects_invalid_hex_in_validation(hex_code: str) -> None:
    with pytest.raises(ValidationError):
        ColorMapping(name="Новый", hex_code=hex_code).full_clean()


def test_colormapping_rejects_invalid_hex_in_database() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ColorMapping.objects.create(name="Новый", hex_code="#12345Z")


def test_colormapping_accepts_lowercase_hex() -> None:
    ColorMapping(name="Мятный", hex_code="#98ff98").full_clean()


def test_colormapping_name_is_unique() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ColorMapping.objects.create(name="Белый", hex_code="#FFFFFF")


@pytest.mark.parametrize("field", ["sku", "onec_id"])
def test_variant_sku_and_onec_id_are_unique(field: str) -> None:
    product = make_product(variants=1)
    existing = product.variants.get()
    other = {"sku": "OTHER-SKU", "onec_id": "other#guid", field: getattr(existing, field)}
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductVariant.objects.create(product=product, **other)


def test_product_onec_id_is_unique() -> None:
    product = make_product(variants=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_product(variants=0, onec_id=product.onec_id)


def test_variants_are_deleted_with_their_product() -> None:
    product = make_product(variants=3)
    product.delete()
    assert ProductVariant.objects.count() == 0


@pytest.mark.parametrize(("stock", "reserved", "available", "in_stock"), [(5, 2, 3, True), (2, 2, 0, False), (1, 4, 0, False)])
def test_available_quantity_and_is_in_stock(stock: int, reserved: int, available: int, in_stock: bool) -> None:
    variant = ProductVariant(stock_quantity=stock, reserved_quantity=reserved)
    assert variant.available_quantity == available
    assert variant.is_in_stock is in_stock


def test_color_names_match_regardless_of_case_and_yo() -> None:
    assert normalize_color_name("  ТЕМНО-синий ") == normalize_color_name("Тёмно-синий")
