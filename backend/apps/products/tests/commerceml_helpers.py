"""Small hand-written CommerceML packages for the importer's tests (2.x and 3.1 shapes)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[4]
SHARED_SAMPLES = REPO.parent / "shared" / "commerceml-samples"
CARONO = SHARED_SAMPLES / "carono-php-commerceml" / "tests" / "xml"
DOBROMYSLOV = SHARED_SAMPLES / "dobromyslov-commerceml-parser" / "data"

NS2 = "urn:1C.ru:commerceml_2"
PRICE_TYPE_ID = "pt-retail"
STORE_A, STORE_B = "store-a", "store-b"


def document(body: str, version: str = "2.07", ns: str | None = NS2, encoding: str = "UTF-8", bom: bool = True) -> bytes:
    xmlns = f' xmlns="{ns}"' if ns else ""
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f'<КоммерческаяИнформация{xmlns} ВерсияСхемы="{version}" ДатаФормирования="2024-05-01T10:00:00">\n'
        f"{body}</КоммерческаяИнформация>\n"
    )
    data = text.encode("cp1251" if encoding.lower() == "windows-1251" else "utf-8")
    return (b"\xef\xbb\xbf" + data) if bom and encoding.upper() == "UTF-8" else data


def group(gid: str, name: str, children: str = "") -> str:
    sub = f"<Группы>{children}</Группы>" if children else ""
    return f"<Группа><Ид>{gid}</Ид><Наименование>{name}</Наименование>{sub}</Группа>\n"


def good(gid: str, name: str, *, article: str | None = None, groups: tuple[str, ...] = ("g-1",), props: str = "",
         chars: str = "", status: str | None = None, deleted_mark: bool = False) -> str:
    attr = f' Статус="{status}"' if status else ""
    parts = [f"<Товар{attr}><Ид>{gid}</Ид>"]
    if article:
        parts.append(f"<Артикул>{article}</Артикул>")
    parts.append(f"<Наименование>{name}</Наименование>")
    if groups:
        parts.append("<Группы>" + "".join(f"<Ид>{g}</Ид>" for g in groups) + "</Группы>")
    parts.append("<Описание/>")
    if props:
        parts.append(f"<ЗначенияСвойств>{props}</ЗначенияСвойств>")
    if chars:
        parts.append(f"<ХарактеристикиТовара>{chars}</ХарактеристикиТовара>")
    if deleted_mark:
        parts.append("<ПометкаУдаления>true</ПометкаУдаления>")
    parts.append("</Товар>\n")
    return "".join(parts)


def prop_value(pid: str, value: str) -> str:
    return f"<ЗначенияСвойства><Ид>{pid}</Ид><Значение>{value}</Значение></ЗначенияСвойства>"


def char(name: str, value: str) -> str:
    return f"<ХарактеристикаТовара><Наименование>{name}</Наименование><Значение>{value}</Значение></ХарактеристикаТовара>"


BRAND_PROPERTY = (
    "<Свойство><Ид>prop-brand</Ид><Наименование>Бренд</Наименование><ТипЗначений>Справочник</ТипЗначений>"
    "<ВариантыЗначений><Справочник><ИдЗначения>brand-1</ИдЗначения><Значение>Green Hill</Значение></Справочник>"
    "</ВариантыЗначений></Свойство>\n"
)


def import_xml(goods: str, groups: str | None = None, properties: str = BRAND_PROPERTY, **kw: object) -> bytes:
    if groups is None:
        groups = group("g-1", "Единоборства", group("g-2", "Кимоно"))
    body = (
        f"<Классификатор><Ид>cls</Ид><Наименование>Классификатор</Наименование><Группы>{groups}</Группы>"
        f"<Свойства>{properties}</Свойства></Классификатор>\n"
        f'<Каталог СодержитТолькоИзменения="false"><Ид>cat</Ид><ИдКлассификатора>cls</ИдКлассификатора>'
        f"<Наименование>Каталог</Наименование><Товары>\n{goods}</Товары></Каталог>\n"
    )
    return document(body, **kw)  # type: ignore[arg-type]


def offer(oid: str, name: str, *, price: str | None = "1000", qty: str | None = "5", chars: str = "",
          article: str | None = None, stores: tuple[tuple[str, str], ...] = (), price_type: str = PRICE_TYPE_ID,
          status: str | None = None) -> str:
    attr = f' Статус="{status}"' if status else ""
    parts = [f"<Предложение{attr}><Ид>{oid}</Ид>"]
    if article:
        parts.append(f"<Артикул>{article}</Артикул>")
    parts.append(f"<Наименование>{name}</Наименование>")
    if chars:
        parts.append(f"<ХарактеристикиТовара>{chars}</ХарактеристикиТовара>")
    if price is not None:
        parts.append(
            f"<Цены><Цена><Представление>{price} RUB</Представление><ИдТипаЦены>{price_type}</ИдТипаЦены>"
            f"<ЦенаЗаЕдиницу>{price}</ЦенаЗаЕдиницу><Валюта>RUB</Валюта></Цена></Цены>"
        )
    if qty is not None:
        parts.append(f"<Количество>{qty}</Количество>")
    for store, amount in stores:
        parts.append(f'<Склад ИдСклада="{store}" КоличествоНаСкладе="{amount}"/>')
    parts.append("</Предложение>\n")
    return "".join(parts)


def offers_xml(offers: str, price_types: str | None = None, **kw: object) -> bytes:
    if price_types is None:
        price_types = f"<ТипЦены><Ид>{PRICE_TYPE_ID}</Ид><Наименование>Розничная</Наименование><Валюта>RUB</Валюта></ТипЦены>"
    body = (
        '<ПакетПредложений СодержитТолькоИзменения="false"><Ид>cls#</Ид><Наименование>Пакет</Наименование>'
        f"<ИдКаталога>cat</ИдКаталога><ИдКлассификатора>cls</ИдКлассификатора><ТипыЦен>{price_types}</ТипыЦен>"
        f"<Склады><Склад><Ид>{STORE_A}</Ид><Наименование>A</Наименование></Склад>"
        f"<Склад><Ид>{STORE_B}</Ид><Наименование>B</Наименование></Склад></Склады>"
        f"<Предложения>\n{offers}</Предложения></ПакетПредложений>\n"
    )
    return document(body, **kw)  # type: ignore[arg-type]


def write_package(root: Path, files: dict[str, bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def simple_package(root: Path) -> Path:
    """A valid 2.07 package: 3 goods (one without offers), 4 variant offers."""
    goods = (
        good("p1", "Кимоно Green Hill Олимп", article="GH-1", groups=("g-2",), props=prop_value("prop-brand", "brand-1"))
        + good("p2", "Пояс Atemi", article="AT-2", groups=("g-1",))
        + good("p3", "Шлем Clinch", article="CL-3", groups=("g-2",))
    )
    offers = (
        offer("p1#v1", "Кимоно Green Hill Олимп, синий (А5 (2XL))", article="GH-1-1", price="2 500,50",
              stores=((STORE_A, "2"), (STORE_B, "3")))
        + offer("p1#v2", "Кимоно Green Hill Олимп", article="GH-1-2", chars=char("Размер", "А3 (L)") + char("Цвет", "Белый"))
        + offer("p2#v1", "Пояс Atemi, ТЁМНО-СИНИЙ (260)", article="AT-2-1", price="300", qty="1")
        + offer("p2#v2", "Пояс Atemi, мятный (280)", article="AT-2-2", price="300", qty=None)
    )
    return write_package(root, {"import.xml": import_xml(goods), "offers.xml": offers_xml(offers)})
