"""CommerceML 3.1 split packages built for the price and stock checks (ONE-04, PST-11, PST-12).

Shaped like a real FreeSport export: groups, priceLists (the price types), goods, offers, prices,
rests in sub-folders. ``retail`` names the retail type ("РРЦ" as FreeSport's 1C calls it), the
wholesale types carry the long suffixes real exports have, МРЦ is there (ignored on purpose).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

NS = "urn:1C.ru:commerceml_3"
HEAD = f'\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="3.1">'
TAIL = "</КоммерческаяИнформация>\n"


@dataclass
class PackageSpec:
    """What the package holds; every good ``g<i>`` has ``variants`` offers ``g<i>#v<k>`` except the last ``bare``."""

    goods: int = 6
    variants: int = 2
    bare: int = 2
    retail: str = "РРЦ"
    types: list[str] = field(default_factory=lambda: [
        "Опт 1 (300-600 тыс.руб в квартал)", "Опт 2 (600-1200 тыс.руб в квартал)",
        "Опт 3 (от 1200 тыс.руб в квартал)", "Тренерская", "МРЦ"])
    prices_only_changes: bool = False
    priced_share: int = 1
    """Every n-th variant gets a price (1: all); with ``prices_only_changes`` the file says so."""
    warehouses: int = 2
    orphan_prices: int = 1
    negative_stock: bool = True


def _price_types(spec: PackageSpec) -> list[tuple[str, str]]:
    return [("pt-retail", spec.retail), *((f"pt-{i}", name) for i, name in enumerate(spec.types, start=1))]


def variant_keys(spec: PackageSpec) -> list[str]:
    """Every variant key: offers, then the bare product ids of the goods without offers."""
    keys = [f"g{i}#v{k}" for i in range(spec.goods - spec.bare) for k in range(spec.variants)]
    return keys + [f"g{i}" for i in range(spec.goods - spec.bare, spec.goods)]


def retail_of(index: int) -> str:
    """The retail price of the index-th variant (with kopecks and a decimal comma every third)."""
    value = f"{1000 + index * 37}.{index % 100:02d}"
    return value.replace(".", ",") if index % 3 == 0 else value


def stock_of(index: int, warehouse: int) -> int:
    """Units of the index-th variant in one warehouse."""
    return (index * 7 + warehouse * 3) % 11


def write_price_package(root: Path, spec: PackageSpec | None = None) -> Path:
    """Write the package under ``root`` and return it."""
    spec = spec or PackageSpec()
    for sub in ("groups", "priceLists", "goods", "offers", "prices", "rests"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "groups" / "groups.xml").write_text(
        HEAD + "<Классификатор><Ид>cl</Ид><Наименование>К</Наименование><Группы><Группа><Ид>grp</Ид>"
        "<Наименование>Спорт</Наименование></Группа></Группы></Классификатор>" + TAIL, encoding="utf-8")
    types = "".join(f"<ТипЦены><Ид>{tid}</Ид><Наименование>{name}</Наименование><Валюта>RUB</Валюта></ТипЦены>"
                    for tid, name in _price_types(spec))
    (root / "priceLists" / "priceLists.xml").write_text(
        HEAD + f"<Классификатор><Ид>cl</Ид><Наименование>К</Наименование><ТипыЦен>{types}</ТипыЦен></Классификатор>"
        + TAIL, encoding="utf-8")
    goods = "".join(f"<Товар><Ид>g{i}</Ид><Артикул>A-{i}</Артикул><Наименование>Товар {i}</Наименование>"
                    "<Группы><Ид>grp</Ид></Группы></Товар>" for i in range(spec.goods))
    (root / "goods" / "goods.xml").write_text(
        HEAD + f'<Каталог СодержитТолькоИзменения="false"><Ид>cl</Ид><ИдКлассификатора>cl</ИдКлассификатора>'
        f"<Наименование>Каталог</Наименование><Товары>{goods}</Товары></Каталог>" + TAIL, encoding="utf-8")
    keys = variant_keys(spec)
    offers = "".join(f"<Предложение><Ид>{k}</Ид><Артикул>A-{k.replace('#', '-')}</Артикул>"
                     f"<Наименование>Товар {k}, синий (M{n})</Наименование></Предложение>"
                     for n, k in enumerate(keys) if "#" in k)
    (root / "offers" / "offers.xml").write_text(HEAD + offer_package(offers, False) + TAIL, encoding="utf-8")
    prices = []
    for n, key in enumerate(keys):
        if n % spec.priced_share:
            continue
        entries = [("pt-retail", retail_of(n))] + [(tid, f"{900 - i * 50 + n}") for tid, _ in _price_types(spec)[1:]
                                                    for i in [int(tid.split("-")[1])]]
        prices.append(_priced(key, entries))
    prices += [_priced(f"nobody{i}#x", [("pt-retail", "5")]) for i in range(spec.orphan_prices)]
    (root / "prices" / "prices.xml").write_text(
        HEAD + offer_package("".join(prices), spec.prices_only_changes) + TAIL, encoding="utf-8")
    rests = []
    for n, key in enumerate(keys):
        stores = "".join(f"<Остаток><Склад><Ид>wh{w}</Ид><Количество>{stock_of(n, w)}</Количество></Склад></Остаток>"
                         for w in range(spec.warehouses))
        if spec.negative_stock and n == 1:
            stores += "<Остаток><Склад><Ид>whX</Ид><Количество>-4</Количество></Склад></Остаток>"
        rests.append(f"<Предложение><Ид>{key}</Ид><Остатки>{stores}</Остатки></Предложение>")
    (root / "rests" / "rests.xml").write_text(HEAD + offer_package("".join(rests), False) + TAIL, encoding="utf-8")
    return root


def _priced(key: str, entries: list[tuple[str, str]]) -> str:
    prices = "".join(f"<Цена><ИдТипаЦены>{tid}</ИдТипаЦены><ЦенаЗаЕдиницу>{value}</ЦенаЗаЕдиницу>"
                     "<Валюта>RUB</Валюта></Цена>" for tid, value in entries)
    return f"<Предложение><Ид>{key}</Ид><Цены>{prices}</Цены></Предложение>"


def offer_package(offers: str, only_changes: bool) -> str:
    flag = "true" if only_changes else "false"
    return (f'<ПакетПредложений СодержитТолькоИзменения="{flag}"><Ид>cl#</Ид><Наименование>П</Наименование>'
            f"<ИдКаталога>cl</ИдКаталога><ИдКлассификатора>cl</ИдКлассификатора>"
            f"<Предложения>{offers}</Предложения></ПакетПредложений>")
