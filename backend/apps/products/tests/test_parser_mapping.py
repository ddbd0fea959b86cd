"""The pure mapping rules of the importer (numbers, names, colors, price types, slugs)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.products.services import mapping, price_types
from apps.products.services.sample_catalog import BASIC_COLORS
from apps.products.services.validation import resolve_price_fields


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1719", Decimal("1719")), ("1 719,50", Decimal("1719.50")), ("21,6", Decimal("21.6")),
     ("-999 999 999,9", Decimal("-999999999.9")), ("1\u00a0234.5", Decimal("1234.5")), ("", None), (None, None)],
)
def test_parse_decimal(text: str | None, expected: Decimal | None) -> None:
    assert mapping.parse_decimal(text) == expected


@pytest.mark.parametrize("text", ["abc", "1,2,3", "NaN", "Infinity"])
def test_parse_decimal_rejects_non_numbers(text: str) -> None:
    with pytest.raises(mapping.NumberError):
        mapping.parse_decimal(text)


def test_prices_and_quantities_normalised() -> None:
    assert mapping.normalize_price(Decimal("10.555")) == Decimal("10.56")
    assert mapping.normalize_price(Decimal("-1")) is None
    assert mapping.normalize_price(Decimal("-999999999.9")) is None
    assert mapping.normalize_price(Decimal("10000000")) is None
    assert mapping.normalize_quantity(Decimal("-3")) == 0
    assert mapping.normalize_quantity(Decimal("5.0")) == 5
    assert mapping.normalize_quantity(None) is None


@pytest.mark.parametrize(
    ("name", "color", "size"),
    [
        ("Кимоно Green Hill, синий (А5 (2XL))", "синий", "А5 (2XL)"),
        ("Женские ботфорты коричневые (39)", None, "39"),
        ("Футболка, черный/красный (M)", "черный/красный", "M"),
        ("Мяч футбольный Select, белый", "белый", None),
        ("Коврик Mini Монстера, 120x44x1.5 см", None, None),
        ("Кроссовки", None, None),
    ],
)
def test_color_and_size_from_the_offer_name(name: str, color: str | None, size: str | None) -> None:
    assert mapping.split_offer_name(name) == (color, size)


def test_color_matching_ignores_case_and_yo() -> None:
    matcher = mapping.ColorMatcher([n for n, _ in BASIC_COLORS])
    assert matcher.canonical("синий") == "Синий"
    assert matcher.canonical("ТЕМНО-СИНИЙ") == "Тёмно-синий"
    assert matcher.canonical("  тёмно-серый ") == "Тёмно-серый"
    assert matcher.canonical("мятный") == "мятный"
    assert matcher.canonical(None) == ""


@pytest.mark.parametrize(
    ("name", "field"),
    [("Розничная", "retail_price"), ("РРЦ", "retail_price"), ("Оптовая 1", "opt1_price"),
     ("Оптовая цена 3", "opt3_price"), ("Опт", "opt1_price"), ("Опт 1 (300-600 тыс.руб в квартал)", "opt1_price"),
     ("Опт 2 (600-1200 тыс.руб в квартал)", "opt2_price"), ("опт 3 (от 1200 тыс.руб в квартал)", "opt3_price"),
     ("Тренерская", "trainer_price"), ("Федерация", "federation_price"), ("МРЦ", None),
     ("Минимальная розничная цена", None), ("BASE", None), ("Закупочная", None), ("Опт 4", None)],
)
def test_price_type_names_map_through_the_shared_file(name: str, field: str | None) -> None:
    assert price_types.load().column_for(name) == field


def test_mrc_is_ignored_with_a_reason_not_unmapped() -> None:
    rule = price_types.load().rule_for("МРЦ")
    assert rule is not None and rule.column is None and "minimum/maximum retail price" in rule.reason


def test_a_single_unknown_price_type_is_the_retail_price() -> None:
    assert resolve_price_fields({"x": "BASE"}) == {"x": "retail_price"}
    assert resolve_price_fields({"x": "BASE", "y": "Розничная"}) == {"x": None, "y": "retail_price"}
    assert resolve_price_fields({"x": "МРЦ"}) == {"x": None}  # ignored on purpose, never the fallback


def test_a_broken_price_types_file_names_the_file_and_entry(tmp_path) -> None:
    from django.core.exceptions import ImproperlyConfigured

    bad = tmp_path / "pt.yml"
    bad.write_text("retail_column: retail_price\ncolumns: [retail_price]\ntypes:\n  - column: price_x\n    names: [A]\n")
    with pytest.raises(ImproperlyConfigured, match=r"pt.yml: types entry 1: column 'price_x'"):
        price_types.load(bad)


def test_attribute_kinds() -> None:
    assert mapping.attribute_kind("Размер") == "size"
    assert mapping.attribute_kind("Размер обуви") == "size"
    assert mapping.attribute_kind("ЦВЕТ") == "color"
    assert mapping.attribute_kind("Тип кожи") is None


def test_slugs_are_deterministic_ascii_and_distinct() -> None:
    a = mapping.make_slug("Кимоно для дзюдо Green Hill", "id-1")
    assert a == mapping.make_slug("Кимоно для дзюдо Green Hill", "id-1")
    assert a.startswith("kimono-dlya-dzyudo-green-hill-") and a.isascii()
    assert a != mapping.make_slug("Кимоно для дзюдо Green Hill", "id-2")
    assert len(mapping.make_slug("Ж" * 400, "x")) <= 255
    assert mapping.make_slug("!!!", "x").startswith("item-")


@pytest.mark.parametrize("text", [None, "", " ", "1 719,50", "21,6", "-5", "10000000", "9999999.999", "abc"])
def test_read_price_is_parse_then_problem_then_normalize(text: str | None) -> None:
    from apps.products.services import mapping

    try:
        value = mapping.parse_decimal(text)
    except mapping.NumberError:
        with pytest.raises(mapping.NumberError):
            mapping.read_price(text)
        return
    problem = mapping.price_problem(value) if value is not None else None
    assert mapping.read_price(text) == (value, problem, mapping.normalize_price(value))
