"""Write a ``SampleCatalog`` as a CommerceML 3.1 split package, as 1C:УТ 11 exports it.

Layout (one file per kind, in sub-folders, opaque ``<kind>___<guid>.xml`` names, UTF-8 with
BOM, namespace ``urn:1C.ru:commerceml_3``, ``ВерсияСхемы="3.1"``)::

    groups/  propertiesGoods/  propertiesOffers/  priceLists/  storages/
    goods/  offers/  prices/  rests/

Offers carry their color and size in one of the three ways real packages do (offer-level
``ЗначенияСвойств``, ``ХарактеристикиТовара``, or only the offer name with an empty
``<ХарактеристикиТовара/>``) so the importer is exercised on all of them. Written with plain
buffered string writes (no tree in memory): 100k SKUs take a few seconds. The output is
byte-identical for the same arguments (fixed ``ДатаФормирования``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape

from apps.products.services.sample_catalog import Product, SampleCatalog

NAMESPACE = "urn:1C.ru:commerceml_3"
VERSION = "3.1"
GENERATED_AT = "2026-01-15T09:00:00"
#: goods/offers/prices/rests are split into files of this many products (1C splits too)
PRODUCTS_PER_FILE = 5000


def _x(text: str) -> str:
    return escape(text)


def _file_guid(catalog: SampleCatalog, kind: str, part: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"freesport-sample:{catalog.seed}:file:{kind}:{part}"))


@contextmanager
def _document(out: Path, kind: str, catalog: SampleCatalog, part: int = 0) -> Iterator[TextIO]:
    folder = out / kind
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}___{_file_guid(catalog, kind, part)}.xml"
    with path.open("w", encoding="utf-8-sig", newline="\n", buffering=1 << 20) as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write(
            f'<КоммерческаяИнформация xmlns="{NAMESPACE}" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ВерсияСхемы="{VERSION}" '
            f'ДатаФормирования="{GENERATED_AT}">\n'
        )
        yield fh
        fh.write("</КоммерческаяИнформация>\n")


def _classifier_open(fh: TextIO, catalog: SampleCatalog) -> None:
    fh.write(
        f"\t<Классификатор>\n\t\t<Ид>{catalog.classifier_id}</Ид>\n"
        "\t\t<Наименование>Классификатор (Основной каталог товаров)</Наименование>\n"
        "\t\t<Владелец>\n\t\t\t<Ид>00000000-0000-0000-0000-000000000001</Ид>\n"
        "\t\t\t<Наименование>ООО «ФриСпорт»</Наименование>\n\t\t</Владелец>\n"
    )


def _write_groups(out: Path, c: SampleCatalog) -> None:
    children: dict[str | None, list] = {}
    for g in c.groups:
        children.setdefault(g.parent_id, []).append(g)

    def emit(fh: TextIO, parent: str | None, depth: int) -> None:
        pad = "\t" * depth
        fh.write(f"{pad}<Группы>\n")
        for g in children.get(parent, []):
            fh.write(f"{pad}\t<Группа>\n{pad}\t\t<Ид>{g.onec_id}</Ид>\n{pad}\t\t<ПометкаУдаления>false</ПометкаУдаления>\n")
            fh.write(f"{pad}\t\t<Наименование>{_x(g.name)}</Наименование>\n")
            if g.onec_id in children:
                emit(fh, g.onec_id, depth + 2)
            fh.write(f"{pad}\t</Группа>\n")
        fh.write(f"{pad}</Группы>\n")

    with _document(out, "groups", c) as fh:
        _classifier_open(fh, c)
        emit(fh, None, 2)
        fh.write("\t</Классификатор>\n")


def _write_properties(out: Path, c: SampleCatalog) -> None:
    with _document(out, "propertiesGoods", c) as fh:
        _classifier_open(fh, c)
        fh.write("\t\t<Свойства>\n")
        fh.write(
            f"\t\t\t<Свойство>\n\t\t\t\t<Ид>{c.brand_property_id}</Ид>\n\t\t\t\t<Наименование>Бренд</Наименование>\n"
            "\t\t\t\t<ТипЗначений>Справочник</ТипЗначений>\n\t\t\t\t<ВариантыЗначений>\n"
        )
        for b in c.brands:
            fh.write(
                f"\t\t\t\t\t<Справочник>\n\t\t\t\t\t\t<ИдЗначения>{b.value_id}</ИдЗначения>\n"
                f"\t\t\t\t\t\t<Значение>{_x(b.name)}</Значение>\n\t\t\t\t\t</Справочник>\n"
            )
        fh.write("\t\t\t\t</ВариантыЗначений>\n\t\t\t</Свойство>\n")
        fh.write(
            f"\t\t\t<Свойство>\n\t\t\t\t<Ид>{c.material_property_id}</Ид>\n\t\t\t\t<Наименование>Материал</Наименование>\n"
            "\t\t\t\t<ТипЗначений>Строка</ТипЗначений>\n\t\t\t</Свойство>\n"
        )
        fh.write("\t\t</Свойства>\n\t</Классификатор>\n")
    with _document(out, "propertiesOffers", c) as fh:
        _classifier_open(fh, c)
        fh.write("\t\t<Свойства>\n")
        for pid, name in ((c.size_property_id, "Размер"), (c.color_property_id, "Цвет")):
            fh.write(
                f"\t\t\t<Свойство>\n\t\t\t\t<Ид>{pid}</Ид>\n\t\t\t\t<Наименование>{name}</Наименование>\n"
                "\t\t\t\t<ТипЗначений>Строка</ТипЗначений>\n\t\t\t\t<ДляПредложений>true</ДляПредложений>\n\t\t\t</Свойство>\n"
            )
        fh.write("\t\t</Свойства>\n\t</Классификатор>\n")


def _write_price_lists_and_storages(out: Path, c: SampleCatalog) -> None:
    with _document(out, "priceLists", c) as fh:
        _classifier_open(fh, c)
        fh.write("\t\t<ТипыЦен>\n")
        for pt in c.price_types:
            fh.write(
                f"\t\t\t<ТипЦены>\n\t\t\t\t<Ид>{pt.onec_id}</Ид>\n\t\t\t\t<Наименование>{_x(pt.name)}</Наименование>\n"
                "\t\t\t\t<Валюта>RUB</Валюта>\n\t\t\t\t<Налог>\n\t\t\t\t\t<Наименование>НДС</Наименование>\n"
                "\t\t\t\t\t<УчтеноВСумме>true</УчтеноВСумме>\n\t\t\t\t</Налог>\n\t\t\t</ТипЦены>\n"
            )
        fh.write("\t\t</ТипыЦен>\n\t</Классификатор>\n")
    with _document(out, "storages", c) as fh:
        _classifier_open(fh, c)
        fh.write("\t\t<Склады>\n")
        for w in c.warehouses:
            fh.write(f"\t\t\t<Склад>\n\t\t\t\t<Ид>{w.onec_id}</Ид>\n\t\t\t\t<Наименование>{_x(w.name)}</Наименование>\n\t\t\t</Склад>\n")
        fh.write("\t\t</Склады>\n\t</Классификатор>\n")


def _good(p: Product, c: SampleCatalog) -> str:
    parts = [
        f"\t\t\t<Товар>\n\t\t\t\t<Ид>{p.guid}</Ид>\n",
        f"\t\t\t\t<ПометкаУдаления>{'true' if p.deleted else 'false'}</ПометкаУдаления>\n",
        f"\t\t\t\t<Артикул>{_x(p.article)}</Артикул>\n",
        f"\t\t\t\t<Наименование>{_x(p.name)}</Наименование>\n",
        '\t\t\t\t<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</БазоваяЕдиница>\n',
        f"\t\t\t\t<Группы>\n\t\t\t\t\t<Ид>{p.group.onec_id}</Ид>\n\t\t\t\t</Группы>\n",
        f"\t\t\t\t<Описание>{_x(p.description)}</Описание>\n" if p.description else "\t\t\t\t<Описание/>\n",
    ]
    parts += [f"\t\t\t\t<Картинка>{_x(img)}</Картинка>\n" for img in p.images]
    parts.append(
        "\t\t\t\t<ЗначенияСвойств>\n"
        f"\t\t\t\t\t<ЗначенияСвойства>\n\t\t\t\t\t\t<Ид>{c.brand_property_id}</Ид>\n\t\t\t\t\t\t<Значение>{p.brand.value_id}</Значение>\n\t\t\t\t\t</ЗначенияСвойства>\n"
        f"\t\t\t\t\t<ЗначенияСвойства>\n\t\t\t\t\t\t<Ид>{c.material_property_id}</Ид>\n\t\t\t\t\t\t<Значение>{_x(p.material)}</Значение>\n\t\t\t\t\t</ЗначенияСвойства>\n"
        "\t\t\t\t</ЗначенияСвойств>\n"
        "\t\t\t\t<СтавкиНалогов>\n\t\t\t\t\t<СтавкаНалога>\n\t\t\t\t\t\t<Наименование>НДС</Наименование>\n"
        "\t\t\t\t\t\t<Ставка>20</Ставка>\n\t\t\t\t\t</СтавкаНалога>\n\t\t\t\t</СтавкиНалогов>\n\t\t\t</Товар>\n"
    )
    return "".join(parts)


def _offers_block(p: Product, c: SampleCatalog) -> str:
    parts: list[str] = []
    for v in p.variants:
        parts.append(
            f"\t\t\t<Предложение>\n\t\t\t\t<Ид>{v.offer_id}</Ид>\n"
            f"\t\t\t\t<ПометкаУдаления>{'true' if v.deleted else 'false'}</ПометкаУдаления>\n"
            f"\t\t\t\t<Артикул>{_x(v.sku)}</Артикул>\n\t\t\t\t<Наименование>{_x(v.name)}</Наименование>\n"
            '\t\t\t\t<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</БазоваяЕдиница>\n'
        )
        if v.encoding == "properties":
            parts.append(
                "\t\t\t\t<ХарактеристикиТовара/>\n\t\t\t\t<ЗначенияСвойств>\n"
                f"\t\t\t\t\t<ЗначенияСвойства>\n\t\t\t\t\t\t<Ид>{c.size_property_id}</Ид>\n\t\t\t\t\t\t<Значение>{_x(v.size)}</Значение>\n\t\t\t\t\t</ЗначенияСвойства>\n"
                f"\t\t\t\t\t<ЗначенияСвойства>\n\t\t\t\t\t\t<Ид>{c.color_property_id}</Ид>\n\t\t\t\t\t\t<Значение>{_x(v.color)}</Значение>\n\t\t\t\t\t</ЗначенияСвойства>\n"
                "\t\t\t\t</ЗначенияСвойств>\n"
            )
        elif v.encoding == "characteristics":
            parts.append(
                "\t\t\t\t<ХарактеристикиТовара>\n"
                f"\t\t\t\t\t<ХарактеристикаТовара>\n\t\t\t\t\t\t<Наименование>Размер</Наименование>\n\t\t\t\t\t\t<Значение>{_x(v.size)}</Значение>\n\t\t\t\t\t</ХарактеристикаТовара>\n"
                f"\t\t\t\t\t<ХарактеристикаТовара>\n\t\t\t\t\t\t<Наименование>Цвет</Наименование>\n\t\t\t\t\t\t<Значение>{_x(v.color)}</Значение>\n\t\t\t\t\t</ХарактеристикаТовара>\n"
                "\t\t\t\t</ХарактеристикиТовара>\n"
            )
        else:  # only the offer name tells color and size
            parts.append("\t\t\t\t<ХарактеристикиТовара/>\n")
        parts.append("\t\t\t</Предложение>\n")
    return "".join(parts)


def _prices_block(p: Product, c: SampleCatalog) -> str:
    parts: list[str] = []
    for v in p.variants:
        parts.append(f"\t\t\t<Предложение>\n\t\t\t\t<Ид>{v.offer_id}</Ид>\n\t\t\t\t<Цены>\n")
        for pt in c.price_types:
            value = v.prices.get(pt.field)
            if value is None:
                continue
            parts.append(
                f"\t\t\t\t\t<Цена>\n\t\t\t\t\t\t<ИдТипаЦены>{pt.onec_id}</ИдТипаЦены>\n"
                f"\t\t\t\t\t\t<ЦенаЗаЕдиницу>{value}</ЦенаЗаЕдиницу>\n\t\t\t\t\t\t<Валюта>RUB</Валюта>\n\t\t\t\t\t</Цена>\n"
            )
        parts.append("\t\t\t\t</Цены>\n\t\t\t</Предложение>\n")
    return "".join(parts)


def _rests_block(p: Product, c: SampleCatalog) -> str:
    parts: list[str] = []
    for v in p.variants:
        parts.append(f"\t\t\t<Предложение>\n\t\t\t\t<Ид>{v.offer_id}</Ид>\n\t\t\t\t<Остатки>\n")
        for w, qty in zip(c.warehouses, v.stocks, strict=True):
            parts.append(
                f"\t\t\t\t\t<Остаток>\n\t\t\t\t\t\t<Склад>\n\t\t\t\t\t\t\t<Ид>{w.onec_id}</Ид>\n"
                f"\t\t\t\t\t\t\t<Количество>{qty}</Количество>\n\t\t\t\t\t\t</Склад>\n\t\t\t\t\t</Остаток>\n"
            )
        parts.append("\t\t\t\t</Остатки>\n\t\t\t</Предложение>\n")
    return "".join(parts)


def _package_open(fh: TextIO, c: SampleCatalog, title: str) -> None:
    fh.write(
        '\t<ПакетПредложений СодержитТолькоИзменения="false">\n'
        f"\t\t<Ид>{c.classifier_id}#</Ид>\n\t\t<Наименование>{title}</Наименование>\n"
        f"\t\t<ИдКаталога>{c.catalog_id}</ИдКаталога>\n\t\t<ИдКлассификатора>{c.classifier_id}</ИдКлассификатора>\n"
        "\t\t<Предложения>\n"
    )


def write_package(catalog: SampleCatalog, out: Path) -> dict[str, int]:
    """Write the package under ``out`` (created); returns what was written."""
    out.mkdir(parents=True, exist_ok=True)
    _write_groups(out, catalog)
    _write_properties(out, catalog)
    _write_price_lists_and_storages(out, catalog)
    stats = {"products": 0, "offers": 0, "files": 6}
    n_parts = (catalog.n_products + PRODUCTS_PER_FILE - 1) // PRODUCTS_PER_FILE
    for part in range(n_parts):
        start, stop = part * PRODUCTS_PER_FILE, min(catalog.n_products, (part + 1) * PRODUCTS_PER_FILE)
        products = [catalog.product(i) for i in range(start, stop)]
        with _document(out, "goods", catalog, part) as fh:
            fh.write(
                '\t<Каталог СодержитТолькоИзменения="false">\n'
                f"\t\t<Ид>{catalog.catalog_id}</Ид>\n\t\t<ИдКлассификатора>{catalog.classifier_id}</ИдКлассификатора>\n"
                "\t\t<Наименование>Основной каталог товаров</Наименование>\n\t\t<Товары>\n"
            )
            for p in products:
                fh.write(_good(p, catalog))
            fh.write("\t\t</Товары>\n\t</Каталог>\n")
        for kind, block, title in (
            ("offers", _offers_block, "Пакет предложений"),
            ("prices", _prices_block, "Пакет предложений (Цены)"),
            ("rests", _rests_block, "Пакет предложений (Остатки)"),
        ):
            with _document(out, kind, catalog, part) as fh:
                _package_open(fh, catalog, title)
                for p in products:
                    fh.write(block(p, catalog))
                fh.write("\t\t</Предложения>\n\t</ПакетПредложений>\n")
        stats["products"] += len(products)
        stats["offers"] += sum(len(p.variants) for p in products)
        stats["files"] += 4
    return stats

