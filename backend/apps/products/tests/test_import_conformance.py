"""Conformance on real public 1C exports (``<repo>/../shared/commerceml-samples``, MIT).

The expected figures were read off the files themselves (see the comments); the tests skip
when ``../shared`` is absent (a clone without the shared folder).
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.products.models import Category, ImportSession, Product, ProductVariant
from apps.products.services.parser import XMLDataParser
from apps.products.tests.commerceml_helpers import CARONO, DOBROMYSLOV

pytestmark = pytest.mark.skipif(not CARONO.is_dir() or not DOBROMYSLOV.is_dir(), reason="../shared/commerceml-samples absent")


def copy(tmp_path: Path, src: Path, names: tuple[str, ...]) -> Path:
    for name in names:
        shutil.copy(src / name, tmp_path / name)
    return tmp_path


def test_carono_folder_validates() -> None:
    # import.xml and import_wo_classifier.xml hold the same 2 goods; classifier.xml is a bare
    # <Классификатор> fragment; orders.xml is a 2.03 windows-1251 order document.
    report = XMLDataParser(CARONO).validate_files()
    assert report.ok, str(report)
    c = report.counts
    assert (c.goods, c.duplicate_goods, c.offers, c.groups, c.price_entries, c.rests) == (4, 2, 5, 22, 5, 5)
    assert (c.expected_products, c.expected_variants, c.orphan_offers) == (2, 5, 0)
    assert report.problem_counts == {"warning:not_commerceml": 1, "warning:duplicate_id": 2}
    kinds = {f.path: f.kind for f in report.files}
    assert kinds == {"classifier.xml": "unknown", "orders.xml": "documents", "import.xml": "goods",
                     "import_wo_classifier.xml": "goods", "offers.xml": "offers"}
    assert report.version == "2.07"


def test_dobromyslov_folder_validates() -> None:
    # import0_1_with_nested_groups.xml (283 goods, 13 groups) repeats the 36 goods and 1 group of
    # import0_1.xml; offers0_1.xml has 44 product-level offers; the bitrix-* files are 2.05 orders.
    report = XMLDataParser(DOBROMYSLOV).validate_files()
    assert report.ok, str(report)
    c = report.counts
    assert (c.goods, c.duplicate_goods, c.offers, c.groups, c.orphan_offers) == (319, 36, 44, 13, 0)
    assert (c.expected_products, c.expected_variants, c.products_without_offers) == (283, 283, 239)
    assert report.problem_counts == {"warning:duplicate_id": 37, "warning:unmapped_price_type": 1}


@pytest.mark.django_db
def test_carono_2_07_import(tmp_path: Path) -> None:
    run = copy(tmp_path, CARONO, ("import.xml", "offers.xml"))
    call_command("import_products_from_1c", "--full", "--data-dir", str(run))

    assert Product.objects.count() == 2 and Category.objects.count() == 22
    variants = {v.onec_id.split("#")[1]: v for v in ProductVariant.objects.all()}
    assert len(variants) == 5
    boot = variants["90c55447-d3a8-11e4-9423-e0cb4ed5eed4"]  # characteristics: Размер 40, Цвет Коричневый
    assert (boot.color_name, boot.size_value, boot.retail_price, boot.stock_quantity) == ("Коричневый", "40", Decimal("1719.00"), 20)
    other = variants["e5a4c316-a659-11dd-acee-0015e9b8c48d"]  # no characteristics: size from "… (39)"
    assert (other.color_name, other.size_value, other.stock_quantity) == ("", "39", 19)
    assert sorted(v.size_value for v in variants.values()) == ["35", "36", "37", "39", "40"]
    assert len({v.sku for v in variants.values()}) == 5  # articles shared by variants made unique
    brands = set(Product.objects.values_list("brand__name", flat=True))
    assert brands == {"Обувной комбинат", "АОЗТ Алекс"}  # the Производитель dictionary property
    assert ImportSession.objects.get().report["validation"]["warnings"] == 0


@pytest.mark.django_db
def test_dobromyslov_ut11_import(tmp_path: Path) -> None:
    run = copy(tmp_path, DOBROMYSLOV, ("import0_1.xml", "offers0_1.xml"))
    call_command("import_products_from_1c", "--full", "--data-dir", str(run))

    # 36 goods (b631c9c1… is Статус="Удален"), 44 offers of which 8 are for goods in no file
    assert Product.objects.count() == 36 and Product.objects.filter(is_active=True).count() == 35
    assert ProductVariant.objects.count() == 36 and ProductVariant.objects.filter(is_active=True).count() == 35
    deleted = ProductVariant.objects.get(onec_id="b631c9c1-49de-11e9-80c9-0cc47ab29cd1")
    assert not deleted.is_active  # has an offer with stock: not resurrected
    first = ProductVariant.objects.get(onec_id="bd8c4e15-18f9-11e7-80c2-0cc47ab29cd1")
    assert (first.sku, first.retail_price, first.stock_quantity) == ("PM-421-WP", Decimal("100.00"), 377)  # 1 + 0 + 376
    assert (first.color_name, first.size_value) == ("", "")  # product-level offer: the name is not parsed
    assert set(Product.objects.values_list("brand__name", flat=True)) == {"Crazy Boom"}  # Изготовитель
    report = ImportSession.objects.get().report
    assert report["counts"]["orphan_offers_skipped"] == 8
    assert report["validation"]["problem_counts"] == {"warning:orphan_offer": 8, "warning:unmapped_price_type": 1}
