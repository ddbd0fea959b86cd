"""import_products_from_1c --full on a real PostgreSQL: mapping, idempotency, refusals."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from apps.products.models import Brand, Category, ColorMapping, ImportSession, Product, ProductVariant
from apps.products.services.commerceml_writer import write_package as write_generated
from apps.products.services.mapping import ColorMatcher
from apps.products.services.parser import XMLDataParser
from apps.products.services.sample_catalog import SampleCatalog
from apps.products.tests.commerceml_helpers import (
    STORE_A,
    char,
    good,
    import_xml,
    offer,
    offers_xml,
    prop_value,
    simple_package,
    write_package,
)
from apps.products.tests.test_parser import LAUGHS, XXE

pytestmark = pytest.mark.django_db


def run_import(data_dir: Path, *args: str) -> None:
    call_command("import_products_from_1c", "--full", "--data-dir", str(data_dir), *args)


def snapshot() -> dict[str, list[tuple]]:
    out = {}
    with connection.cursor() as cur:
        for table in ("categories", "brands", "products", "product_variants"):
            cur.execute(f"SELECT * FROM {table} ORDER BY id")
            out[table] = cur.fetchall()
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleCatalog, Path]:
    catalog = SampleCatalog(60, 3, 11)
    out = tmp_path_factory.mktemp("pkg")
    write_generated(catalog, out)
    return catalog, out


def test_generated_package_imports_exactly_the_catalog(generated: tuple[SampleCatalog, Path]) -> None:
    catalog, data_dir = generated
    expected = catalog.expected_counts()

    run_import(data_dir)

    assert Product.objects.count() == expected["products"]
    assert Product.objects.filter(is_active=True).count() == expected["active_products"]
    assert ProductVariant.objects.count() == expected["variants"]
    assert ProductVariant.objects.filter(is_active=True, product__is_active=True).count() == expected["active_variants"]
    assert Category.objects.count() == expected["groups"]
    colors = ColorMatcher(list(ColorMapping.objects.values_list("name", flat=True)))
    products = {p.onec_id: p for p in Product.objects.select_related("brand", "category", "category__parent")}
    variants = {v.onec_id: v for v in ProductVariant.objects.all()}
    for p in catalog.iter_products():
        row = products[p.guid]
        assert (row.name, row.brand.name, row.category.onec_id, row.is_active) == (p.name, p.brand.name, p.group.onec_id, not p.deleted)
        assert row.category.parent.onec_id == p.group.parent_id
        assert row.images == p.images and row.description == p.description
        if not p.variants:  # exactly one default variant: variants[] is never empty
            default = variants[p.guid]
            assert (default.product_id, default.sku, default.color_name, default.size_value) == (row.id, p.article, "", "")
            assert default.retail_price is None and default.stock_quantity == 0
            continue
        for v in p.variants:  # all three encodings (properties / characteristics / name only) map the same
            got = variants[v.offer_id]
            assert got.product_id == row.id
            assert (got.sku, got.color_name, got.size_value) == (v.sku, colors.canonical(v.color), v.size), v.encoding
            assert [getattr(got, f) for f in v.prices] == list(v.prices.values())
            assert got.stock_quantity == v.stock
            assert got.is_active == (not v.deleted and not p.deleted)
    assert ProductVariant.objects.filter(color_name="Тёмно-синий").exists() or not any(
        v.color == "темно-синий" for p in catalog.iter_products() for v in p.variants)
    assert Brand.objects.count() == len({p.brand.name for p in catalog.iter_products()})
    assert len({p.slug for p in products.values()}) == len(products)
    session = ImportSession.objects.get()
    assert session.status == "completed" and session.finished_at is not None
    assert session.report["counts"]["products_created"] == expected["products"]
    assert session.report["validation"]["counts"]["expected_variants"] == expected["variants"]
    log = Path(settings.LOG_DIR) / "import_products.log"
    assert "import completed" in log.read_text(encoding="utf-8")


def test_import_leaves_statistics_of_what_it_wrote(generated: tuple[SampleCatalog, Path]) -> None:
    """After a flush the planner's statistics say the catalog is empty; the import ends by refreshing
    them, so the API's first requests are not planned for empty tables (PST-08's burst)."""
    _catalog, data_dir = generated
    run_import(data_dir)
    with connection.cursor() as cur:
        cur.execute("SELECT relname, reltuples FROM pg_class WHERE relname IN ('products', 'product_variants')")
        estimated = dict(cur.fetchall())
    assert estimated == {"products": Product.objects.count(), "product_variants": ProductVariant.objects.count()}
    assert "merge_analyze" in ImportSession.objects.get().report["timings"]


def test_reimport_changes_nothing(generated: tuple[SampleCatalog, Path]) -> None:
    _catalog, data_dir = generated
    run_import(data_dir)
    before = snapshot()

    run_import(data_dir)

    assert snapshot() == before  # same rows, same content, same updated_at
    second = ImportSession.objects.order_by("-id").first()
    counts = second.report["counts"]
    assert {k: v for k, v in counts.items() if v} == {}


def test_reimport_touches_only_what_changed(tmp_path: Path) -> None:
    root = simple_package(tmp_path / "a")
    run_import(root)
    before = {v.onec_id: (v.updated_at, v.retail_price) for v in ProductVariant.objects.all()}
    offers = (root / "offers.xml").read_text(encoding="utf-8-sig").replace("<ЦенаЗаЕдиницу>300</ЦенаЗаЕдиницу>", "<ЦенаЗаЕдиницу>333</ЦенаЗаЕдиницу>", 1)
    (root / "offers.xml").write_text(offers, encoding="utf-8-sig")

    run_import(root)

    after = {v.onec_id: (v.updated_at, v.retail_price) for v in ProductVariant.objects.all()}
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"p2#v1"} and after["p2#v1"][1] == Decimal("333.00")
    assert ImportSession.objects.order_by("-id").first().report["counts"]["variants_updated"] == 1


def test_2x_package_mapping(tmp_path: Path) -> None:
    run_import(simple_package(tmp_path))

    v = {x.onec_id: x for x in ProductVariant.objects.all()}
    assert (v["p1#v1"].color_name, v["p1#v1"].size_value) == ("Синий", "А5 (2XL)")  # from the offer name
    assert v["p1#v1"].retail_price == Decimal("2500.50")  # decimal comma and space
    assert v["p1#v1"].stock_quantity == 5  # warehouses summed (2 + 3)
    assert (v["p1#v2"].color_name, v["p1#v2"].size_value) == ("Белый", "А3 (L)")  # characteristics win
    assert v["p2#v1"].color_name == "Тёмно-синий"  # ColorMapping matched ignoring case and ё/е
    assert v["p2#v2"].color_name == "мятный" and v["p2#v2"].stock_quantity == 0  # unknown color kept; no stock = 0
    assert set(v) == {"p1#v1", "p1#v2", "p2#v1", "p2#v2", "p3"}
    assert Product.objects.get(onec_id="p1").brand.name == "Green Hill"
    assert Product.objects.get(onec_id="p1").category.name == "Кимоно"


def test_deleted_goods_and_orphans(tmp_path: Path) -> None:
    goods = good("p1", "Мяч", status="Удален") + good("p2", "Пояс", deleted_mark=True) + good("p3", "Шлем")
    offers = (
        offer("p1#v1", "Мяч, синий (5)", stores=((STORE_A, "7"),))
        + offer("p3#v1", "Шлем, красный (M)", status="Удален")
        + offer("p3#v2", "Шлем, красный (L)")
        + offer("ghost#v1", "Призрак, белый (S)")
    )
    write_package(tmp_path, {"import.xml": import_xml(goods), "offers.xml": offers_xml(offers)})

    run_import(tmp_path)

    assert set(Product.objects.filter(is_active=True).values_list("onec_id", flat=True)) == {"p3"}
    active = set(ProductVariant.objects.filter(is_active=True).values_list("onec_id", flat=True))
    assert active == {"p3#v2"}  # a deleted product's offer with stock is not resurrected
    assert not ProductVariant.objects.filter(onec_id__startswith="ghost").exists()
    session = ImportSession.objects.get()
    assert session.report["counts"]["orphan_offers_skipped"] == 1
    assert session.report["validation"]["problem_counts"]["warning:orphan_offer"] == 1


def test_an_active_good_whose_offers_are_all_deleted_gets_a_default_variant(tmp_path: Path) -> None:
    goods = good("p1", "Мяч", article="M-1") + good("p2", "Пояс", status="Удален")
    offers = offer("p1#v1", "Мяч, синий (5)", status="Удален") + offer("p2#v1", "Пояс (2)", status="Удален")
    write_package(tmp_path, {"import.xml": import_xml(goods), "offers.xml": offers_xml(offers)})
    report = XMLDataParser(tmp_path).validate_files()
    assert (report.counts.expected_variants, report.counts.expected_active_variants) == (3, 1)

    run_import(tmp_path)

    rows = set(ProductVariant.objects.values_list("onec_id", "is_active"))
    assert rows == {("p1#v1", False), ("p1", True), ("p2#v1", False)}


def test_204_goods_carry_the_variants(tmp_path: Path) -> None:
    """Encoding 1 (official 1C 2.04 example): Товар rows with Ид p#v and characteristics, no namespace."""
    goods = (
        good("p1#v1", "Кроссовки Nike", article="NK-1", chars=char("Размер", "42") + char("Цвет", "черный"))
        + good("p1#v2", "Кроссовки Nike", article="NK-2", chars=char("Размер", "43") + char("Цвет", "черный"))
    )
    offers = offer("p1#v1", "Кроссовки Nike", qty="4", article="NK-1") + offer("p1#v2", "Кроссовки Nike", qty="0", article="NK-2")
    write_package(tmp_path, {
        "import.xml": import_xml(goods, version="2.04", ns=None),
        "offers.xml": offers_xml(offers, version="2.04", ns=None),
    })

    run_import(tmp_path)

    assert list(Product.objects.values_list("onec_id", flat=True)) == ["p1"]
    rows = set(ProductVariant.objects.values_list("onec_id", "sku", "size_value", "color_name", "stock_quantity"))
    assert rows == {("p1#v1", "NK-1", "42", "Черный", 4), ("p1#v2", "NK-2", "43", "Черный", 0)}


def test_shared_articles_get_unique_skus(tmp_path: Path) -> None:
    goods = good("p1", "Ботфорты", article="Б-1")
    offers = offer("p1#a", "Ботфорты (38)", article="Б-1") + offer("p1#b", "Ботфорты (39)", article="Б-1")
    write_package(tmp_path, {"import.xml": import_xml(goods), "offers.xml": offers_xml(offers)})
    run_import(tmp_path)
    skus = set(ProductVariant.objects.values_list("sku", flat=True))
    assert len(skus) == 2 and all(s.startswith("Б-1-") for s in skus)


def test_price_types_defined_after_the_offers(tmp_path: Path) -> None:
    goods = good("p1", "Мяч")
    body = offers_xml(offer("p1#v1", "Мяч, синий (5)", price="150", price_type="late")).decode("utf-8-sig")
    body = body.replace("<ТипыЦен>", "<ТипыЦен-x>").replace("</ТипыЦен>", "</ТипыЦен-x>")
    body = body.replace("</ПакетПредложений>", "</ПакетПредложений><Классификатор><ТипыЦен><ТипЦены><Ид>late</Ид>"
                        "<Наименование>Оптовая 2</Наименование></ТипЦены></ТипыЦен></Классификатор>")
    write_package(tmp_path, {"import.xml": import_xml(goods), "offers.xml": body.encode()})
    run_import(tmp_path)
    v = ProductVariant.objects.get(onec_id="p1#v1")
    assert (v.opt2_price, v.retail_price) == (Decimal("150.00"), None)


def test_brand_from_the_brand_property(tmp_path: Path) -> None:
    goods = good("p1", "Мяч", props=prop_value("prop-brand", "brand-1")) + good("p2", "Пояс")
    write_package(tmp_path, {"import.xml": import_xml(goods), "offers.xml": offers_xml(offer("p1", "Мяч"))})
    run_import(tmp_path)
    assert Brand.objects.get().onec_id == "brand-1"
    assert Product.objects.get(onec_id="p2").brand is None


# ---------------------------------------------------------------------------- refusals
def _malformed_at_the_end(root: Path) -> None:
    simple_package(root)
    data = (root / "offers.xml").read_bytes()
    (root / "offers.xml").write_bytes(data.replace(b"</\xd0\x9f\xd1\x80\xd0\xb5\xd0\xb4\xd0\xbb\xd0\xbe\xd0\xb6\xd0\xb5\xd0\xbd\xd0\xb8\xd1\x8f>", b"<oops></\xd0\x9f\xd1\x80\xd0\xb5\xd0\xb4\xd0\xbb\xd0\xbe\xd0\xb6\xd0\xb5\xd0\xbd\xd0\xb8\xd1\x8f>"))


def _xxe(root: Path) -> None:
    simple_package(root)
    (root / "extra.xml").write_bytes(XXE)


def _laughs(root: Path) -> None:
    simple_package(root)
    (root / "extra.xml").write_bytes(LAUGHS)


def _truncated(root: Path) -> None:
    simple_package(root)
    data = (root / "offers.xml").read_bytes()
    (root / "offers.xml").write_bytes(data[: len(data) - 200])


def _wrong_encoding(root: Path) -> None:
    simple_package(root)
    text = (root / "import.xml").read_text(encoding="utf-8-sig")
    (root / "import.xml").write_bytes(text.encode("cp1251"))


def _missing(root: Path) -> None:
    pass  # the folder is never created


def _offers_without_goods(root: Path) -> None:
    write_package(root, {"offers/offers.xml": offers_xml(offer("p1#v1", "Мяч, синий (5)"))})


BAD = {
    "malformed": (_malformed_at_the_end, "offers.xml", "malformed"),
    "external-entity": (_xxe, "extra.xml:2", "hostile"),
    "billion-laughs": (_laughs, "extra.xml:2", "hostile"),
    "truncated": (_truncated, "offers.xml", "truncated"),
    "wrong-encoding": (_wrong_encoding, "import.xml:", "not utf-8"),
    "missing-folder": (_missing, "does not exist", "missing"),
    "offers-without-goods": (_offers_without_goods, "offers/offers.xml:", "offers but no goods"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_naming_file_and_line_and_nothing_is_written(tmp_path: Path, case: str) -> None:
    make, where, what = BAD[case]
    root = tmp_path / "pkg"
    make(root)
    before = snapshot()

    with pytest.raises(CommandError) as info:
        run_import(root)

    message = str(info.value)
    assert where in message and what in message.lower(), message
    assert snapshot() == before
    assert Product.objects.count() == 0 and ProductVariant.objects.count() == 0
    session = ImportSession.objects.get()
    assert session.status == "failed" and session.finished_at is not None and where in session.error_message


def test_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("import_products_from_1c", "--dry-run", "--data-dir", str(simple_package(tmp_path)))
    assert "OK (0 errors" in capsys.readouterr().out
    assert not ImportSession.objects.exists() and not Product.objects.exists()


def test_dry_run_of_a_bad_package_exits_non_zero(tmp_path: Path) -> None:
    _truncated(tmp_path)
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_products_from_1c", "--dry-run", "--data-dir", str(tmp_path))


def test_file_type_prices_updates_prices_only(tmp_path: Path) -> None:
    root = simple_package(tmp_path)
    run_import(root)
    ProductVariant.objects.filter(onec_id="p2#v1").update(retail_price=Decimal("1"), stock_quantity=99)
    run_import(root, "--file-type", "prices")
    v = ProductVariant.objects.get(onec_id="p2#v1")
    assert (v.retail_price, v.stock_quantity) == (Decimal("300.00"), 99)


def test_default_data_dir_is_the_committed_rehearsal_package() -> None:
    """Without --data-dir the importer reads settings.ONEC_DATA_DIR = backend/sample_data/commerceml."""
    assert Path(settings.ONEC_DATA_DIR) == Path(__file__).resolve().parents[3] / "sample_data" / "commerceml"
    call_command("import_products_from_1c", "--full")
    expected = SampleCatalog(200, 3, 42).expected_counts()
    assert (Product.objects.count(), ProductVariant.objects.count()) == (expected["products"], expected["variants"])


# ---------------------------------------------------------------------------- the forked prices/rests reader
def _import_with(data_dir: Path, parallel: bool) -> dict[str, list[tuple]]:
    from apps.products.services.importer import CatalogImporter, ImportOptions

    result = CatalogImporter(ImportOptions(data_dir, parallel=parallel)).run()
    assert ("parallel_files" in result.timings) is parallel
    with connection.cursor() as cur:
        cur.execute(
            "SELECT onec_id, sku, color_name, size_value, retail_price, opt1_price, opt2_price, opt3_price, "
            "trainer_price, federation_price, stock_quantity, is_active FROM product_variants ORDER BY onec_id"
        )
        variants = cur.fetchall()
        cur.execute("DELETE FROM product_variants")
        cur.execute("DELETE FROM products")
    return {"variants": variants, "report": [result.report.counts, result.report.problem_counts]}


def test_forked_reader_gives_the_same_result_as_one_process(generated: tuple[SampleCatalog, Path]) -> None:
    _catalog, data_dir = generated
    assert _import_with(data_dir, parallel=True) == _import_with(data_dir, parallel=False)


def _bad_prices_and_rests(root: Path, catalog: SampleCatalog) -> tuple[str, str]:
    write_generated(catalog, root)
    prices = next((root / "prices").glob("*.xml"))
    text = prices.read_text(encoding="utf-8-sig")
    first_value = text.index("<ЦенаЗаЕдиницу>") + len("<ЦенаЗаЕдиницу>")
    text = text[:first_value] + "-5" + text[text.index("<", first_value):]
    prices.write_text(text, encoding="utf-8-sig")
    rests = next((root / "rests").glob("*.xml"))
    text = rests.read_text(encoding="utf-8-sig").replace("<Количество>", "<Количество>-", 1)
    rests.write_text(text, encoding="utf-8-sig")
    return f"prices/{prices.name}", f"rests/{rests.name}"


def test_warnings_of_the_forked_reader_reach_the_report(tmp_path: Path) -> None:
    from apps.products.services.importer import CatalogImporter, ImportOptions

    prices, rests = _bad_prices_and_rests(tmp_path, SampleCatalog(20, 2, 3))
    result = CatalogImporter(ImportOptions(tmp_path, parallel=True)).run()
    assert "parallel_files" in result.timings
    session = ImportSession.objects.get()
    problems = session.report["validation"]["problem_counts"]
    assert problems == {"warning:bad_price": 1, "warning:bad_quantity": 1}
    listed = session.report["validation"]["problems"]
    assert {(p["code"], p["file"]) for p in listed} == {("bad_price", prices), ("bad_quantity", rests)}
    assert all(p["line"] for p in listed)


def test_malformed_prices_file_read_by_the_forked_reader_is_refused(tmp_path: Path) -> None:
    write_generated(SampleCatalog(20, 2, 3), tmp_path)
    prices = next((tmp_path / "prices").glob("*.xml"))
    text = prices.read_text(encoding="utf-8-sig")
    middle = text.index("</Цена>", len(text) // 2)
    prices.write_text(text[:middle] + "</Цен>" + text[middle + len("</Цена>"):], encoding="utf-8-sig")
    from apps.products.services.importer import CatalogImporter, ImportFailed, ImportOptions

    with pytest.raises(ImportFailed, match=f"prices/{prices.name}:[0-9]+"):
        CatalogImporter(ImportOptions(tmp_path, parallel=True)).run()
    assert not Product.objects.exists() and not ProductVariant.objects.exists()
    assert ImportSession.objects.get().status == "failed"



@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_with_the_reason(tmp_path: Path) -> None:
    """What the runbook's shell sees: exit status 1, the file and line on stderr, session failed."""
    import os
    import subprocess
    import sys
    from urllib.parse import quote

    _truncated(tmp_path / "pkg")
    db = connection.settings_dict
    env = {**os.environ, "SECRET_KEY": "t", "LOG_DIR": str(tmp_path / "log"), "DJANGO_SETTINGS_MODULE": "freesport.settings",
           "DATABASE_URL": f"postgresql://{quote(db['USER'])}:{quote(db['PASSWORD'])}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    proc = subprocess.run(
        [sys.executable, "manage.py", "import_products_from_1c", "--full", "--data-dir", str(tmp_path / "pkg")],
        cwd=Path(__file__).resolve().parents[3], env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "import failed" in proc.stderr and "offers.xml:" in proc.stderr and "truncated" in proc.stderr
    assert ImportSession.objects.get().status == "failed" and not Product.objects.exists()
    assert "nothing written" in (tmp_path / "log" / "import_products.log").read_text(encoding="utf-8")


def test_a_database_that_refuses_writes_gives_a_clear_refusal(tmp_path: Path) -> None:
    with connection.cursor() as cur:
        cur.execute("SET TRANSACTION READ ONLY")
    with pytest.raises(CommandError, match="cannot record the import session, nothing written"):
        run_import(simple_package(tmp_path))


@pytest.mark.django_db
def test_rrc_is_retail_bare_id_prices_reach_the_default_variant_and_unmapped_types_warn_with_count(
        tmp_path: Path) -> None:
    types = ("<ТипЦены><Ид>pt-rrc</Ид><Наименование>РРЦ</Наименование><Валюта>RUB</Валюта></ТипЦены>"
             "<ТипЦены><Ид>pt-o1</Ид><Наименование>Опт 1 (300-600 тыс.руб в квартал)</Наименование></ТипЦены>"
             "<ТипЦены><Ид>pt-mrc</Ид><Наименование>МРЦ</Наименование></ТипЦены>"
             "<ТипЦены><Ид>pt-o4</Ид><Наименование>Опт 4</Наименование></ТипЦены>")
    prices = "".join(f"<Цена><ИдТипаЦены>{t}</ИдТипаЦены><ЦенаЗаЕдиницу>{v}</ЦенаЗаЕдиницу></Цена>"
                     for t, v in (("pt-rrc", "1 200,50"), ("pt-o1", "900"), ("pt-mrc", "1000"), ("pt-o4", "800")))
    offers = (offer("p1#v1", "Кимоно, синий (M)", price=None, qty=None)
              + f"<Предложение><Ид>p1#v1</Ид><Цены>{prices}</Цены></Предложение>"
              + f"<Предложение><Ид>p2</Ид><Цены>{prices}</Цены><Остатки><Остаток><Склад><Ид>s1</Ид>"
              "<Количество>4</Количество></Склад></Остаток><Остаток><Склад><Ид>s2</Ид><Количество>-2</Количество>"
              "</Склад></Остаток></Остатки></Предложение>")
    goods = good("p1", "Кимоно", article="K-1") + good("p2", "Пояс", article="P-2")
    run = write_package(tmp_path / "p", {"import.xml": import_xml(goods), "offers.xml": offers_xml(offers, types)})
    call_command("import_products_from_1c", "--full", "--data-dir", str(run))

    variant = ProductVariant.objects.get(onec_id="p1#v1")
    assert (variant.retail_price, variant.opt1_price) == (Decimal("1200.50"), Decimal("900.00"))
    default = ProductVariant.objects.get(onec_id="p2")  # a price keyed by the bare product Ид
    assert (default.retail_price, default.opt1_price, default.stock_quantity) == (Decimal("1200.50"), Decimal("900.00"), 4)
    report = ImportSession.objects.get().report["validation"]
    unmapped = [p["message"] for p in report["problems"] if p["code"] == "unmapped_price_type"]
    assert len(unmapped) == 1 and "'Опт 4' maps to no FreeSport price column" in unmapped[0]
    assert "2 price(s) ignored" in unmapped[0]  # МРЦ is ignored on purpose: no warning
