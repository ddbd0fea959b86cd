"""XMLDataParser.validate_files(): counts, errors (refuse) vs warnings (report and go on).

No database: validation reads files only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.products.services.commerceml_writer import write_package as write_generated
from apps.products.services.parser import XMLDataParser
from apps.products.services.sample_catalog import SampleCatalog
from apps.products.tests.commerceml_helpers import (
    document,
    good,
    import_xml,
    offer,
    offers_xml,
    simple_package,
    write_package,
)


def codes(report, severity: str) -> set[str]:
    return {p.code for p in report.problems if p.severity == severity}


def the_error(report):
    errors = report.error_list()
    assert errors, str(report)
    return errors[0]


def test_generated_package_validates_with_the_catalogs_exact_counts(tmp_path: Path) -> None:
    catalog = SampleCatalog(40, 3, 7)
    write_generated(catalog, tmp_path)
    expected = catalog.expected_counts()

    report = XMLDataParser(tmp_path).validate_files()

    assert report.ok and report.errors == 0 and report.warnings == 0, str(report)
    assert report.version == "3.1"
    c = report.counts
    assert (c.goods, c.offers, c.groups) == (40, expected["offers"], expected["groups"])
    assert c.deleted_goods == expected["deleted_products"]
    assert c.rests == expected["offers"]
    assert c.price_entries == sum(
        sum(1 for v in var.prices.values() if v is not None) for p in catalog.iter_products() for var in p.variants
    )
    assert (c.expected_products, c.expected_variants) == (expected["products"], expected["variants"])
    assert (c.expected_active_products, c.expected_active_variants) == (expected["active_products"], expected["active_variants"])
    assert c.products_without_offers == expected["products_without_offers"]
    kinds = {f.path.split("/")[0]: f.kind for f in report.files}
    assert kinds == {"groups": "groups", "propertiesGoods": "properties", "propertiesOffers": "properties",
                     "priceLists": "priceLists", "storages": "storages", "goods": "goods", "offers": "offers",
                     "prices": "prices", "rests": "rests"}
    assert report.to_dict()["ok"] is True


def test_2x_package_counts(tmp_path: Path) -> None:
    report = XMLDataParser(simple_package(tmp_path)).validate_files()
    assert report.ok, str(report)
    c = report.counts
    assert (c.goods, c.offers, c.price_entries, c.rests, c.groups) == (3, 4, 4, 3, 2)
    assert (c.expected_products, c.expected_variants, c.products_without_offers) == (3, 5, 1)
    assert [f.kind for f in report.files] == ["goods", "offers"]


# ------------------------------------------------------------------------------ errors
def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    report = XMLDataParser(tmp_path / "nope").validate_files()
    assert not report.ok
    assert the_error(report).code == "missing"
    assert "does not exist" in the_error(report).message


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    assert the_error(XMLDataParser(tmp_path).validate_files()).code == "missing"


def test_malformed_file_names_file_and_line(tmp_path: Path) -> None:
    data = import_xml(good("p1", "Мяч") + "<Товар><Ид>p2</Ид><Наименование>broken</Наименовани></Товар>\n" + good("p3", "x"))
    write_package(tmp_path, {"goods/import.xml": data})
    err = the_error(XMLDataParser(tmp_path).validate_files())
    assert (err.code, err.file) == ("malformed", "goods/import.xml")
    assert err.line == data.decode("utf-8-sig").splitlines().index(
        next(s for s in data.decode("utf-8-sig").splitlines() if "broken" in s)) + 1


XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<\xd0\x9a\xd0\xbe\xd0\xbc\xd0\xbc\xd0\xb5\xd1\x80\xd1\x87\xd0\xb5\xd1\x81\xd0\xba\xd0\xb0\xd1\x8f\xd0\x98\xd0\xbd\xd1\x84\xd0\xbe\xd1\x80\xd0\xbc\xd0\xb0\xd1\x86\xd0\xb8\xd1\x8f \xd0\x92\xd0\xb5\xd1\x80\xd1\x81\xd0\xb8\xd1\x8f\xd0\xa1\xd1\x85\xd0\xb5\xd0\xbc\xd1\x8b="2.07">&xxe;</\xd0\x9a\xd0\xbe\xd0\xbc\xd0\xbc\xd0\xb5\xd1\x80\xd1\x87\xd0\xb5\xd1\x81\xd0\xba\xd0\xb0\xd1\x8f\xd0\x98\xd0\xbd\xd1\x84\xd0\xbe\xd1\x80\xd0\xbc\xd0\xb0\xd1\x86\xd0\xb8\xd1\x8f>
"""

LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + ']>\n<КоммерческаяИнформация ВерсияСхемы="2.07">&lol9;</КоммерческаяИнформация>\n'
).encode()


def test_external_entity_is_refused(tmp_path: Path) -> None:
    write_package(tmp_path, {"import.xml": XXE})
    err = the_error(XMLDataParser(tmp_path).validate_files())
    assert err.code in {"dtd", "entities"} and err.file == "import.xml" and err.line == 2
    assert "hostile" in err.message


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    write_package(tmp_path, {"import.xml": LAUGHS})
    err = the_error(XMLDataParser(tmp_path).validate_files())
    assert err.code == "entities" and err.line == 2


def test_undeclared_entity_reference_is_an_error(tmp_path: Path) -> None:
    write_package(tmp_path, {"import.xml": import_xml(good("p1", "Мяч &xxe;"))})
    err = the_error(XMLDataParser(tmp_path).validate_files())
    assert err.code in {"entities", "malformed"} and err.line is not None


def test_truncated_file_is_an_error(tmp_path: Path) -> None:
    data = import_xml("".join(good(f"p{i}", f"Мяч {i}") for i in range(50)))
    write_package(tmp_path, {"import.xml": data[: len(data) // 2]})
    err = the_error(XMLDataParser(tmp_path).validate_files())
    assert err.code == "truncated" and err.file == "import.xml" and err.line and err.line > 1
    assert "КоммерческаяИнформация" in err.message


def test_bytes_not_in_the_declared_encoding_are_an_error(tmp_path: Path) -> None:
    text = import_xml(good("p1", "Мяч")).decode("utf-8-sig")
    write_package(tmp_path, {"import.xml": text.encode("cp1251")})  # declared UTF-8, written in windows-1251
    err = the_error(XMLDataParser(tmp_path).validate_files())
    assert err.code == "encoding" and err.file == "import.xml" and err.line


def test_unknown_declared_encoding_is_an_error(tmp_path: Path) -> None:
    data = import_xml(good("p1", "Ball")).decode("utf-8-sig").replace('encoding="UTF-8"', 'encoding="x-klingon"')
    write_package(tmp_path, {"import.xml": data.encode()})
    assert the_error(XMLDataParser(tmp_path).validate_files()).code == "encoding"


def test_windows_1251_declared_is_read(tmp_path: Path) -> None:
    write_package(tmp_path, {"import.xml": import_xml(good("p1", "Мяч"), encoding="windows-1251")})
    report = XMLDataParser(tmp_path).validate_files()
    assert report.ok and report.counts.goods == 1 and report.files[0].encoding == "windows-1251"


@pytest.mark.parametrize("version", ["1.0", "4.0", None])
def test_unsupported_version_is_an_error(tmp_path: Path, version: str | None) -> None:
    data = import_xml(good("p1", "Мяч")).decode("utf-8-sig")
    data = data.replace('ВерсияСхемы="2.07"', f'ВерсияСхемы="{version}"' if version else "")
    write_package(tmp_path, {"import.xml": data.encode()})
    assert the_error(XMLDataParser(tmp_path).validate_files()).code == "unsupported_version"


def test_offers_without_goods_is_an_error(tmp_path: Path) -> None:
    write_package(tmp_path, {"offers/offers.xml": offers_xml(offer("p1#v1", "Мяч, синий (5)"))})
    err = the_error(XMLDataParser(tmp_path).validate_files())
    assert (err.code, err.file) == ("offers_without_goods", "offers/offers.xml") and err.line


# ------------------------------------------------------------------------------ warnings
def test_warnings_are_reported_with_file_and_line_and_do_not_refuse(tmp_path: Path) -> None:
    goods = (
        good("p1", "Мяч", groups=("g-unknown",), props="<ЗначенияСвойства><Ид>prop-x</Ид><Значение>1</Значение></ЗначенияСвойства>")
        + good("p1", "Мяч (второй раз)")
        + good("p2", "Пояс")
    )
    offers = (
        offer("p1#v1", "Мяч, синий (5)", price="-10")
        + offer("p1#v2", "Мяч, красный (5)", price="-999 999 999,9")
        + offer("p2", "Пояс", price="12,5", qty="-3")
        + offer("ghost#v1", "Призрак", price="1")
        + offer("p2#v2", "Пояс", price="1", price_type="pt-unknown")
    )
    write_package(tmp_path, {"import.xml": import_xml(goods), "offers.xml": offers_xml(offers)})
    report = XMLDataParser(tmp_path).validate_files()
    assert report.ok, str(report)
    assert codes(report, "warning") == {
        "duplicate_id", "orphan_offer", "bad_price", "bad_quantity", "unresolved_group", "unresolved_property",
        "unresolved_price_type",
    }
    assert all(p.file and p.line for p in report.problems), str(report)
    dup = next(p for p in report.problems if p.code == "duplicate_id")
    assert "last one wins" in dup.message and "import.xml:" in dup.message
    assert {p.message.split(";")[1].strip() for p in report.problems if p.code == "bad_price"} == {"stored as NULL (no price)"}
    assert report.counts.orphan_offers == 1 and report.counts.duplicate_goods == 1
    assert report.problem_counts["warning:bad_price"] == 2


def test_not_commerceml_files_are_skipped_with_a_warning(tmp_path: Path) -> None:
    simple_package(tmp_path)
    (tmp_path / "notes.xml").write_text("<?xml version='1.0'?><root/>", encoding="utf-8")
    report = XMLDataParser(tmp_path).validate_files()
    assert report.ok and "not_commerceml" in codes(report, "warning")


def test_report_lists_at_most_50_problems_per_code_but_counts_all(tmp_path: Path) -> None:
    offers = "".join(offer(f"p1#v{i}", "Мяч", price="-1") for i in range(80))
    write_package(tmp_path, {"import.xml": import_xml(good("p1", "Мяч")), "offers.xml": offers_xml(offers)})
    report = XMLDataParser(tmp_path).validate_files()
    assert report.problem_counts["warning:bad_price"] == 80
    assert sum(1 for p in report.problems if p.code == "bad_price") == 50
    assert "more problems" in str(report)


def test_no_namespace_204_and_namespaced_208_are_read(tmp_path: Path) -> None:
    write_package(tmp_path, {
        "a/import.xml": import_xml(good("p1", "Мяч"), version="2.04", ns=None),
        "b/import.xml": import_xml(good("p2", "Пояс"), version="2.08", ns="urn:1C.ru:commerceml_208"),
    })
    report = XMLDataParser(tmp_path).validate_files()
    assert report.ok and report.counts.goods == 2 and set(report.versions) == {"2.04", "2.08"}


def test_elements_are_cleared_while_streaming(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory stays flat: behind each record the tree is emptied (siblings deleted)."""
    from apps.products.services import xml_reader

    path = tmp_path / "import.xml"
    path.write_bytes(import_xml("".join(good(f"p{i}", f"Мяч {i}") for i in range(300))))
    siblings: list[int] = []
    original = xml_reader.etree.iterparse

    def spy(*args: object, **kwargs: object):
        for event, el in original(*args, **kwargs):
            yield event, el
            # after the consumer handled it: emptied, and nothing processed is left before it
            if el.tag.endswith("Товар"):
                siblings.append(len(el) + sum(1 for _ in el.itersiblings(preceding=True)))

    monkeypatch.setattr(xml_reader.etree, "iterparse", spy)
    head = xml_reader.scan_head(path, "import.xml")
    goods = [r for r in xml_reader.iter_records(head, "import.xml") if isinstance(r, xml_reader.GoodRec)]
    assert len(goods) == 300
    assert max(siblings) == 0


def test_document_helper_roundtrip() -> None:
    assert document("").startswith(b"\xef\xbb\xbf<?xml")


def test_forked_reading_of_prices_and_rests_gives_the_same_report(tmp_path: Path) -> None:
    write_generated(SampleCatalog(30, 3, 8), tmp_path)
    prices = next((tmp_path / "prices").glob("*.xml"))
    text = prices.read_text(encoding="utf-8-sig")
    text = text.replace("<ЦенаЗаЕдиницу>", "<ЦенаЗаЕдиницу>-", 60)  # 60 bad prices: more than listed
    prices.write_text(text, encoding="utf-8-sig")

    forked = XMLDataParser(tmp_path).validate_files(parallel=True)  # (the default forks only with a free core)
    single = XMLDataParser(tmp_path).validate_files(parallel=False)

    assert forked.to_dict() == single.to_dict()
    assert forked.problem_counts == {"warning:bad_price": 60} and len(forked.problems) == 50


def test_offers_read_by_the_forked_reader_still_resolve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even a file whose kind was guessed wrong (offers sent to the forked reader) folds back."""
    from apps.products.services import import_parallel

    write_generated(SampleCatalog(30, 3, 8), tmp_path)
    single = XMLDataParser(tmp_path).validate_files(parallel=False)
    monkeypatch.setattr(import_parallel, "child_share", lambda files: [f for f in files if f.head.rank >= 2])

    forked = XMLDataParser(tmp_path).validate_files(parallel=True)

    assert forked.ok and forked.warnings == 0, str(forked)
    assert forked.counts == single.counts


def test_unresolved_offers_of_the_forked_reader_are_reported_once_where_first_seen(tmp_path: Path) -> None:
    """The forked reader spills the offer ids it cannot resolve to a file (memory flat with the
    catalog); read back, each unresolved id is reported once, at its first place, as before."""
    import re

    write_generated(SampleCatalog(30, 3, 8), tmp_path)
    prices, rests = next((tmp_path / "prices").glob("*.xml")), next((tmp_path / "rests").glob("*.xml"))
    ids = re.findall(r"<Предложение>\s*<Ид>([^<]+)</Ид>", prices.read_text(encoding="utf-8-sig"))[:3]
    for path in (prices, rests):  # three offers of the prices and rests files that no offers file has
        text = path.read_text(encoding="utf-8-sig")
        for n, oid in enumerate(ids):
            text = text.replace(f"<Ид>{oid}</Ид>", f"<Ид>ghost-{n}#{n}</Ид>")
        path.write_text(text, encoding="utf-8-sig")

    forked = XMLDataParser(tmp_path).validate_files(parallel=True)
    single = XMLDataParser(tmp_path).validate_files(parallel=False)

    assert forked.to_dict() == single.to_dict()
    unresolved = [p for p in forked.problems if p.code == "unresolved_offer"]
    assert [p.message.split()[3] for p in unresolved] == ["ghost-0#0", "ghost-1#1", "ghost-2#2"]
    assert all(p.file.startswith("prices") for p in unresolved)


def test_a_files_head_keeps_its_rank_not_its_decoded_start(tmp_path: Path) -> None:
    """The head of each file is kept for the whole import, and a 1M-SKU package has 165 files: the
    256 KB read to guess the kind are not kept (they were ~45 MB at 1M)."""
    from apps.products.services.xml_reader import scan_head

    goods = "".join(good(f"p-{n:05d}", f"Товар номер {n} " + "описание " * 20) for n in range(2000))
    root = write_package(tmp_path, {"import.xml": import_xml(goods), "offers.xml": offers_xml(offer("p-00001#v", "x"))})
    goods_head = scan_head(root / "import.xml", "import.xml")
    assert (root / "import.xml").stat().st_size > 256 * 1024
    assert goods_head.rank == 1 and scan_head(root / "offers.xml", "offers.xml").rank == 2
    assert not goods_head.has_document
    big = [name for name in goods_head.__slots__ if len(str(getattr(goods_head, name))) > 4096]
    assert big == [], f"FileHead keeps large fields: {big}"


def test_rests_read_without_findtext_keep_first_child_semantics(tmp_path: Path) -> None:
    """Остаток/Склад/(Ид, Количество) per warehouse (the first of each child wins, an empty one
    is "" / no quantity) and a warehouse-less Остаток/Количество, as ``findtext`` read them."""
    from apps.products.services.xml_reader import OfferRec, iter_records, scan_head

    path = tmp_path / "rests.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_3" ВерсияСхемы="3.1"><ПакетПредложений><Предложения>'
        "<Предложение><Ид>a#1</Ид><Остатки>"
        "<Остаток><Склад><Ид> w1 </Ид><Количество>5</Количество><Ид>w9</Ид><Количество>9</Количество></Склад></Остаток>"
        "<Остаток><Склад><Количество/><Ид/></Склад><Склад><Ид>w3</Ид></Склад></Остаток>"
        "</Остатки></Предложение>"
        "<Предложение><Ид>a#2</Ид><Остатки><Остаток><Количество> 7 </Количество><Количество>8</Количество></Остаток>"
        "<Остаток><Количество>3</Количество></Остаток></Остатки></Предложение>"
        "</Предложения></ПакетПредложений></КоммерческаяИнформация>\n",
        encoding="utf-8",
    )
    offers = [r for r in iter_records(scan_head(path, "rests.xml"), "rests.xml") if isinstance(r, OfferRec)]
    assert [(o.id, o.warehouses, o.quantity, o.has_rests) for o in offers] == [
        ("a#1", [("w1", "5"), ("", None), ("w3", None)], None, True),
        ("a#2", [], "7", True),
    ]
