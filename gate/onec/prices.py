"""Prices and stock of a 1C package, read by the gate, and their comparison with the database (PST-11/12).

What the package says, per variant key (an offer ``Ид`` ``product#variant``, or the bare
product ``Ид`` = the product's default variant): each price (``Цены/Цена``: type, value,
currency) and the stock (``Остатки/Остаток/Склад/Количество`` summed over warehouses, a
warehouse-less ``Остаток/Количество``, ``Предложение/Количество`` or ``Склад@КоличествоНаСкладе``).

The values are normalised by the rules the importer documents (docs/prices-and-stock.md), stated
here again on purpose (the gate shares no code with the importer): a price is a ``Decimal``
rounded to kopecks, a negative or absurd (≥ 10 000 000) or unreadable price is *no price*; a
stock is an int per warehouse, negative or absurd → 0, summed; a missing ``Количество`` is
*unknown* (not asserted). A record replaces an earlier one for the same key (the last wins),
records of prices/rests files win over an offers file's. A file whose ``ПакетПредложений`` has
``СодержитТолькоИзменения="true"`` covers only some offers: the offers it does not list are not
asserted (they keep their previous value, or none).

>>> reading = read_prices(Path("backend/sample_data/commerceml"))   # doctest: +SKIP
>>> len(reading.prices), len(reading.stock)                          # doctest: +SKIP
(576, 576)
"""

from __future__ import annotations

import functools
import random
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from lxml import etree

from gate.onec.package import ByContent, Offer, OnecPackage, PriceTexts, children, local_name, read_package
from gate.onec.price_types import PriceTypeMap

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

MAX_PRICE = Decimal("10000000")
"""At or above: an absurd price (1C's -999 999 999,9 sentinels), stored as no price."""
MAX_QUANTITY = 10_000_000
"""At or above (absolute): an absurd quantity, stored as 0."""
MAX_STOCK = 2**31 - 1
KOPECK = Decimal("0.01")
EVIDENCE_FILE = "prices_stock.json"
"""PST-11/12's comparison in the run directory (``{"prices": ..., "stock": ...}``); the sign-off shows it."""
MOST_OFFERS = 0.5
"""An unmapped price type carrying prices for more than this share of priced offers is a finding."""
_JUNK = str.maketrans("", "", " \t\r\n\u00a0\u202f'")
T = TypeVar("T")
PriceEntry = tuple[str, Decimal | None, str]
"""One ``Цена``: its type id, the stored price (None: no price), the currency."""
PriceEntries = tuple[PriceEntry, ...]
_CURRENCY = {"грн": "UAH", "uah": "UAH", "руб": "RUB", "руб.": "RUB", "rub": "RUB", "rur": "RUB", "643": "RUB"}


def parse_number(text: str | None) -> Decimal | None:
    """``"1 719,50"`` → ``Decimal("1719.50")``; empty → None; not a number → ``ValueError``.

    >>> parse_number("-999 999 999,9"), parse_number(" ")
    (Decimal('-999999999.9'), None)
    """
    if text is None:
        return None
    cleaned = text.translate(_JUNK).replace(",", ".")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a number: {text!r}")
    return value


def stored_price(text: str | None) -> Decimal | None:
    """The price a correct import stores for a ``ЦенаЗаЕдиницу`` text (None: no price).

    >>> stored_price("12910"), stored_price("-1"), stored_price("x"), stored_price("1e7")
    (Decimal('12910.00'), None, None, None)
    """
    try:
        value = parse_number(text)
    except ValueError:
        return None
    if value is None or value < 0 or value >= MAX_PRICE:
        return None
    return value.quantize(KOPECK)


def stored_stock(quantities: Iterable[str | None]) -> int | None:
    """The stock a correct import stores for a record's quantities (None: unknown, not asserted).

    >>> stored_stock(["5", "-3", "2,9"]), stored_stock([None]), stored_stock(["x"])
    (7, None, 0)
    """
    total: int | None = None
    for text in quantities:
        try:
            value = parse_number(text)
        except ValueError:
            total = total or 0
            continue
        if value is None:
            continue
        part = 0 if value < 0 or abs(value) >= MAX_QUANTITY else int(value)
        total = (total or 0) + part
    return None if total is None else min(total, MAX_STOCK)


def currency_code(text: str | None) -> str:
    """One spelling per currency (``грн``/``UAH`` → ``UAH``); empty when the package names none."""
    word = (text or "").strip()
    return _CURRENCY.get(word.casefold(), word.upper())


@dataclass(slots=True)
class PriceReading:
    """Prices and stock of a package, per variant key, as a correct import stores them.

    Compact at 1M offers: keys are interned (one string per id, shared with the package's sets) and
    equal price entries are one shared tuple (a generated 100k package has 2,930 distinct ones).
    """

    root: str
    type_names: dict[str, str] = field(default_factory=dict)
    prices: dict[str, PriceEntries] = field(default_factory=dict)
    stock: dict[str, int] = field(default_factory=dict)
    warehouses: dict[str, int] = field(default_factory=dict)
    uses: Counter[str] = field(default_factory=Counter)
    price_entries: int = 0
    prices_delta: bool = False
    rests_delta: bool = False
    _ranked: dict[str, set[str]] = field(default_factory=lambda: {"price": set(), "stock": set()})
    _shared: dict[object, object] = field(default_factory=dict)

    def _place(self, kind: str, key: str, rank: int) -> bool:
        """A record of ``rank`` 0 (an offers file's) never replaces one of rank 1 (a prices/rests file's)."""
        if rank:
            self._ranked[kind].add(key)
        return bool(rank) or key not in self._ranked[kind]

    def _takes(self, kind: str, key: str, part: PriceReading) -> bool:
        """``part``'s record of ``key`` replaces this reading's (:meth:`_place` across two readings)."""
        return self._place(kind, key, 1 if key in part._ranked[kind] else 0)

    def _one(self, value: T) -> T:
        """The one object kept for ``value`` (equal price entries and values are shared, not repeated)."""
        return self._shared.setdefault(value, value)  # type: ignore[return-value]

    def _entries(self, entries: PriceEntries) -> PriceEntries:
        """``entries`` made of this reading's shared entries (the shared tuple's own when it is known)."""
        known = self._shared.get(entries)
        if known is not None:
            return known  # type: ignore[return-value]
        return tuple(map(self._one, entries))

    def merge(self, part: PriceReading) -> None:
        """Add ``part``, the reading of the package's next file on its own, as if read after the files so far:
        a record replaces an earlier one, except that an offers file's never replaces a prices/rests file's."""
        self.type_names.update(part.type_names)
        for key, entries in part.prices.items():
            if self._takes("price", key, part):
                self.prices[key] = self._one(entries)
        for key, total in part.stock.items():
            if self._takes("stock", key, part):
                self.stock[key] = total
                self.warehouses[key] = part.warehouses[key]
        self.uses.update(part.uses)
        self.price_entries += part.price_entries
        self.prices_delta = self.prices_delta or part.prices_delta
        self.rests_delta = self.rests_delta or part.rests_delta

    # the pass over the package (gate.onec.package.OfferSink) ------------------------------
    def price_type(self, el: etree._Element) -> None:
        """A ``ТипЦены``: its id and name."""
        _price_type(el, self)

    def offer(self, offer: Offer, delta: bool) -> None:
        """A ``Предложение``: its prices and stock, as a correct import stores them."""
        _offer(offer, self, delta)

    # facts ----------------------------------------------------------------------------
    def column_values(self, key: str, mapped: dict[str, str | None]) -> dict[str, Decimal | None]:
        """Column → stored price of one key (entries in package order: a later type of the same column wins)."""
        return entry_columns(self.prices.get(key, ()), mapped)

    def currencies(self, mapped: dict[str, str | None]) -> dict[str, list[str]]:
        """Column → the currencies its prices are in (one expected)."""
        seen: dict[str, set[str]] = {}
        for entries in {id(e): e for e in self.prices.values()}.values():  # each shared entries tuple once
            for type_id, value, currency in entries:
                column = mapped.get(type_id)
                if column is not None and value is not None:
                    seen.setdefault(column, set()).add(currency or "?")
        return {c: sorted(v) for c, v in seen.items()}

    def mapping_problems(self, price_map: PriceTypeMap) -> list[str]:
        """ONE-04: the package's prices cannot feed the retail column through the mapping file."""
        if not self.price_entries:
            return []
        mapped = price_map.resolve(self.type_names)
        if price_map.retail_column in mapped.values():
            return []
        declared = ", ".join(f"{n!r} ({self.uses.get(t, 0)} prices)" for t, n in sorted(self.type_names.items(),
                                                                                          key=lambda x: x[1]))
        return [f"no price type of the package maps to {price_map.retail_column} through {price_map.path} "
                f"(declared: {declared or 'none'}): the import would leave every retail price empty; add the "
                f"retail type's name to a `column: {price_map.retail_column}` entry"]

    def unmapped_carrying_prices(self, price_map: PriceTypeMap) -> list[tuple[str, int]]:
        """Unmapped types (no rule, not ignored on purpose) with the number of offers they price."""
        mapped = price_map.resolve(self.type_names)
        names = {**{t: t for t in self.uses}, **self.type_names}
        return sorted(((names[t], n) for t, n in self.uses.items()
                       if mapped.get(t) is None and price_map.rule_for(names[t]) is None), key=lambda x: -x[1])


def entry_columns(entries: Iterable[PriceEntry], mapped: dict[str, str | None]) -> dict[str, Decimal | None]:
    """Column → stored price of one key's entries (package order: a later type of the same column wins).

    >>> entry_columns([("t1", Decimal("2.00"), "RUB"), ("t2", None, "")], {"t1": "retail_price", "t2": None})
    {'retail_price': Decimal('2.00')}
    """
    out: dict[str, Decimal | None] = {}
    for type_id, value, _currency in entries:
        column = mapped.get(type_id)
        if column is not None:
            out[column] = value
    return out


def read_prices(root: Path) -> PriceReading:
    """Stream every XML file under ``root`` once for price types, prices and stock (a file with a DTD or
    entities is not read: ONE-03 refuses it; a file that breaks keeps what was read before the break).
    The run's checks take it from :func:`gate.onec.reading.read_onec_cached`, the same pass as the package's."""
    reading = PriceReading(str(root))
    read_package(root, reading)
    return reading


def as_dict(reading: PriceReading) -> dict[str, object]:
    """The reading as plain values (two readings are the same when these are equal)."""
    return {"root": reading.root, "type_names": reading.type_names,
            "prices": {k: [[t, None if v is None else str(v), c] for t, v, c in e] for k, e in reading.prices.items()},
            "stock": reading.stock, "warehouses": reading.warehouses, "uses": dict(reading.uses),
            "price_entries": reading.price_entries, "prices_delta": reading.prices_delta,
            "rests_delta": reading.rests_delta}


def _price_type(el: etree._Element, reading: PriceReading) -> None:
    kids = children(el)
    tid = (kids["Ид"].text or "").strip() if "Ид" in kids else ""
    if tid:
        reading.type_names[tid] = (kids["Наименование"].text or "").strip() if "Наименование" in kids else ""


@functools.lru_cache(maxsize=1 << 16)
def _price_entry(type_text: str | None, price_text: str | None, currency_text: str | None) -> PriceEntry:
    """One ``Цена``'s texts as stored (cached: a package repeats the same few thousand prices)."""
    return (type_text or "").strip(), stored_price(price_text), currency_code(currency_text)


@functools.lru_cache(maxsize=1 << 16)
def _price_entries(texts: tuple[PriceTexts, ...]) -> tuple[PriceEntries, tuple[str, ...]]:
    """A ``Цены``' texts as stored, with the types that carry a price (cached by the texts: an offer's
    prices are the same as many other offers')."""
    entries = tuple(_price_entry(*t) for t in texts)
    return entries, tuple(type_id for type_id, value, _currency in entries if value is not None)


@functools.lru_cache(maxsize=1 << 16)
def _stored_stock(quantities: tuple[str | None, ...]) -> int | None:
    """:func:`stored_stock`, cached by the texts (a package repeats a few hundred quantities)."""
    return stored_stock(quantities)


def _first_text(el: etree._Element, name: str) -> str | None:
    """The text of ``el``'s first child named ``name`` (None: none, or empty)."""
    for c in el:
        if local_name(c.tag) == name:
            return c.text
    return None


def _read_rests(rests: etree._Element) -> tuple[tuple[str | None, ...], str | None]:
    """An ``Остатки``' quantities: each ``Склад``'s (of every ``Остаток``), and the first one given by an
    ``Остаток`` without warehouses (its ``Количество``)."""
    stores: list[str | None] = []
    quantity: str | None = None
    for rest in rests:
        found = [s for s in rest if local_name(s.tag) == "Склад"]
        stores += [_first_text(s, "Количество") for s in found]
        if not found and quantity is None:
            quantity = _first_text(rest, "Количество")
    return tuple(stores), quantity


_rests = ByContent(_read_rests)


def _offer(offer: Offer, reading: PriceReading, delta: bool) -> None:
    key, body, has_rests = "", False, False
    prices: etree._Element | None = None
    stores: list[str | None] = []  # per warehouse: they are the detail whenever present
    quantity: str | None = None  # Предложение/Количество (2.x) or a warehouse-less Остаток (3.1)
    for tag, child in offer.kids:
        if tag == "Ид":
            key = (child.text or "").strip()
        elif tag == "Наименование":
            body = True
        elif tag == "Цены":
            prices = child
        elif tag == "Остатки":
            has_rests = True
            in_stores, in_rest = _rests(child)
            stores += in_stores
            if quantity is None:
                quantity = in_rest
        elif tag == "Количество":
            quantity = (child.text or "").strip() or None
            has_rests = has_rests or quantity is not None
        elif tag == "Склад":
            stores.append(child.get("КоличествоНаСкладе"))
            has_rests = True
    if not key:
        return
    key = sys.intern(key)  # the same object as the package's sets hold: kept (and pickled) once
    rank = 0 if body else 1
    if prices is not None and len(prices):
        if delta:
            reading.prices_delta = True
        entries, priced_types = _price_entries(offer.prices(prices).texts)
        entries = reading._entries(entries)
        reading.price_entries += len(entries)
        reading.uses.update(priced_types)
        if reading._place("price", key, rank):
            reading.prices[key] = reading._one(entries)
    if has_rests:
        if delta:
            reading.rests_delta = True
        total = _stored_stock(tuple(stores) if stores else (quantity,))
        if total is not None and reading._place("stock", key, rank):
            reading.stock[key] = total
            reading.warehouses[key] = len(stores)


# -- the comparison ---------------------------------------------------------------------------------------
def variant_keys(pkg: OnecPackage) -> set[str]:
    """Keys of the active variants of active products a correct import leaves (PST-02's set)."""
    offers = {o for o in pkg.offers if "#" in o and o.split("#", 1)[0] in pkg.products}
    with_offers = {o.split("#", 1)[0] for o in offers}
    return offers | (pkg.products - with_offers)


KEPT_DIFFERENCES = 20


@dataclass(slots=True)
class Comparison:
    """PST-11 or PST-12: expected vs database, per column, with the differences found."""

    columns: dict[str, dict[str, int]] = field(default_factory=dict)
    sample_size: int = 0
    compared: int = 0
    differences: list[str] = field(default_factory=list)
    difference_count: int = 0
    orphans: int = 0
    unplaced: int = 0
    not_asserted: int = 0
    missing_variants: int = 0
    findings: list[str] = field(default_factory=list)
    high_findings: list[str] = field(default_factory=list)
    notes: dict[str, object] = field(default_factory=dict)

    def differ(self, text: str) -> None:
        """Count one sampled value that differs; the first :data:`KEPT_DIFFERENCES` are kept as text."""
        self.difference_count += 1
        if len(self.differences) < KEPT_DIFFERENCES:
            self.differences.append(text)

    @property
    def ok(self) -> bool:
        """No count differs, no sampled value differs, no critical finding."""
        return not self.findings and not self.difference_count

    def as_dict(self) -> dict[str, object]:
        """For the run directory and the sign-off page."""
        return {"columns": self.columns, "sample_size": self.sample_size, "compared": self.compared,
                "difference_count": self.difference_count, "differences": self.differences,
                "orphans": self.orphans, "unplaced": self.unplaced, "not_asserted": self.not_asserted,
                "missing_variants": self.missing_variants, "findings": self.findings,
                "high_findings": self.high_findings, **self.notes}


VariantRow = dict[str, Decimal | int | None]
"""One active variant in the database: its price columns (numeric) and ``stock_quantity``."""
PriceCells = tuple[Decimal | str | None, ...]
"""A row's price columns as read: ``numeric`` as PostgreSQL's exact text (or a ``Decimal``), None when empty."""
Cells = tuple[PriceCells, int | None]
"""A row as kept: its price cells (one shared tuple per distinct set of prices) and its stock."""


def _decimal(cell: Decimal | str | None) -> Decimal | None:
    return None if cell is None else Decimal(cell)


class VariantRows(Mapping[str, VariantRow]):
    """``onec_id`` → ``{column: value}`` (the price columns, then ``stock_quantity``), built when a row is
    asked for. Kept compact for 1M variants: per row a pair (price cells, stock) whose price cells are
    one shared tuple per distinct set of prices (the exact ``numeric`` text: no ``Decimal`` per cell).

    >>> rows = VariantRows(("retail_price", "stock_quantity")); rows.add("p#1", (Decimal("9.90"), 3))
    >>> rows.add("p#2", ("9.90", None)); rows.get("p#1"), rows["p#2"], "p#3" in rows, len(rows)
    ({'retail_price': Decimal('9.90'), 'stock_quantity': 3}, {'retail_price': Decimal('9.90'), 'stock_quantity': None}, False, 2)
    """

    def __init__(self, names: tuple[str, ...]) -> None:
        if not names or names[-1] != "stock_quantity":
            raise ValueError(f"VariantRows: the last column must be stock_quantity, not {names!r}")
        self.names = names
        self.cells: dict[str, Cells] = {}
        """``onec_id`` → (price cells, stock): what the comparisons read without building dicts."""
        self._shared: dict[PriceCells, PriceCells] = {}

    @property
    def price_columns(self) -> tuple[str, ...]:
        """The price columns, in the order of each row's price cells."""
        return self.names[:-1]

    def add(self, key: str, values: tuple[Decimal | str | int | None, ...]) -> None:
        """One row: the price columns' values, then the stock."""
        prices: PriceCells = values[:-1]  # type: ignore[assignment]
        stock = values[-1]
        self.cells[key] = (self._shared.setdefault(prices, prices), None if stock is None else int(stock))

    def __getitem__(self, key: str) -> VariantRow:
        prices, stock = self.cells[key]
        return {**dict(zip(self.price_columns, map(_decimal, prices), strict=True)), "stock_quantity": stock}

    def __contains__(self, key: object) -> bool:
        return key in self.cells

    def __iter__(self) -> Iterator[str]:
        return iter(self.cells)

    def __len__(self) -> int:
        return len(self.cells)


def variant_values(conn: psycopg.Connection[TupleRow], columns: tuple[str, ...]) -> VariantRows:
    """``onec_id`` → price columns and ``stock_quantity`` of every active variant of an active product.

    One read-only query over the target (``conn`` is the gate's read-only psycopg connection), read
    through a server-side cursor in batches: the rows never sit in the client twice. Prices come as
    ``numeric::text`` (exact; turned into ``Decimal`` only where a value is compared).
    """
    from psycopg import sql

    query = sql.SQL(
        "SELECT v.onec_id, {}, v.stock_quantity FROM product_variants v JOIN products p ON p.id = v.product_id "
        "WHERE v.is_active AND p.is_active").format(
            sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier("v", c)) for c in columns))
    rows = VariantRows((*columns, "stock_quantity"))
    add = rows.add
    with conn.transaction(), conn.cursor(name="pst_variant_values") as cur:
        cur.itersize = 20_000
        cur.execute(query)
        for r in cur:
            if r[0]:
                add(r[0], r[1:])
    return rows


def _cells(db: Mapping[str, VariantRow], columns: tuple[str, ...]) -> dict[str, Cells]:
    """The rows as (price cells in ``columns``' order, stock): a :class:`VariantRows`' own, else built."""
    if isinstance(db, VariantRows) and db.price_columns == columns:
        return db.cells
    return {k: (tuple(r.get(c) for c in columns), r.get("stock_quantity")) for k, r in db.items()}  # type: ignore[misc]


def _tally(objects: list[T]) -> list[tuple[T, int]]:
    """Each distinct object (by identity: shared tuples are counted once each) with how often it occurs."""
    counts = Counter(map(id, objects))
    first = {id(o): o for o in objects}
    return [(first[i], n) for i, n in counts.items()]


def _sample(keys: list[str], size: int, seed: int) -> list[str]:
    keys = sorted(keys)
    return keys if size <= 0 or size >= len(keys) else random.Random(seed).sample(keys, size)


_last_keys: tuple[OnecPackage, set[str]] | None = None


def _wanted(pkg: OnecPackage) -> set[str]:
    """:func:`variant_keys` of ``pkg``, computed once for PST-11 and PST-12 of the same package object."""
    global _last_keys
    if _last_keys is None or _last_keys[0] is not pkg:
        _last_keys = (pkg, variant_keys(pkg))
    return _last_keys[1]


def _strays(keys: Iterable[str], pkg: OnecPackage, wanted: set[str]) -> tuple[int, int]:
    """(orphans: resolve to no good, unplaced: a known good but no active variant of it) among ``keys``."""
    goods = pkg.products | pkg.deleted_products
    inactive = pkg.deleted_offers
    orphans = unplaced = 0
    for key in [k for k in keys if k not in wanted]:
        if key.split("#", 1)[0] not in goods:
            orphans += 1
        elif key not in inactive and key.split("#", 1)[0] in pkg.products:
            unplaced += 1
    return orphans, unplaced


def compare_prices(reading: PriceReading, pkg: OnecPackage, price_map: PriceTypeMap,
                   db: Mapping[str, VariantRow], sample_size: int, seed: int) -> Comparison:
    """PST-11: per mapped column, the count of active variants with a price and a sample of values, exactly.

    ``db`` maps each active variant's ``onec_id`` to its columns (``retail_price``…, ``stock_quantity``).
    Counted per distinct shared tuple (the package's entries, the database's price cells), not per key:
    at 1M variants a dict and a ``Counter`` per key were most of PST-11's 47 s.
    """
    result = Comparison()
    columns = price_map.columns
    mapped = price_map.resolve(reading.type_names)
    wanted = _wanted(pkg)
    rows = _cells(db, columns)
    prices = reading.prices
    result.orphans, result.unplaced = _strays(prices, pkg, wanted)
    asserted = [k for k in wanted if k in prices] if reading.prices_delta else list(wanted)
    result.not_asserted = len(wanted) - len(asserted)
    found = [r for r in map(rows.get, asserted) if r is not None]
    result.missing_variants = len(asserted) - len(found)
    wants: Counter[str] = Counter()
    for entries, n in _tally([e for e in map(prices.get, asserted) if e]):
        for column, value in entry_columns(entries, mapped).items():
            if value is not None:
                wants[column] += n
    gots: Counter[str] = Counter()
    for cells, n in _tally([r[0] for r in found]):
        for column, cell in zip(columns, cells, strict=True):
            if cell is not None:
                gots[column] += n
    for column in columns:
        want, got = wants[column], gots[column]
        result.columns[column] = {"package": want, "database": got}
        if want != got:
            result.findings.append(f"{column}: {got} active variants with a price, {want} expected from the package")
    retail = price_map.retail_column
    if result.columns.get(retail, {}).get("package") and not result.columns[retail]["database"]:
        result.findings.insert(0, f"{retail} is empty on every variant but the package has "
                                  f"{result.columns[retail]['package']} retail prices")
    goods = pkg.products | pkg.deleted_products
    priced_orphans = sorted(k for k in prices if k in rows and k.split("#", 1)[0] not in goods)
    if priced_orphans:
        result.findings.append(f"{len(priced_orphans)} orphan offer(s) (their product is in no goods file) were "
                               f"imported and priced, e.g. {priced_orphans[0]}")
    # retail named in a way the mapping does not know: the package has retail prices the import cannot place
    result.findings += reading.mapping_problems(price_map)
    sample = _sample(asserted, sample_size, seed)
    result.sample_size = len(sample)
    for key in sample:
        row = rows.get(key)
        if row is None:
            continue
        result.compared += 1
        expected = reading.column_values(key, mapped)
        for column, got_value in zip(columns, row[0], strict=True):
            want_value = expected.get(column)
            if _decimal(got_value) != want_value:
                result.differ(f"{key} {column}: database {got_value}, package {want_value}")
    priced = len(prices) or 1
    for name, offers in reading.unmapped_carrying_prices(price_map):
        if offers / priced > MOST_OFFERS:
            result.high_findings.append(f"price type {name!r} prices {offers} of {len(prices)} offers but "
                                        f"maps to no column in {price_map.path}")
    result.notes = {"currencies": reading.currencies(mapped), "prices_delta": reading.prices_delta,
                    "type_columns": {reading.type_names.get(t, t): c for t, c in mapped.items()}}
    return result


def compare_stock(reading: PriceReading, pkg: OnecPackage, db: Mapping[str, VariantRow], sample_size: int,
                  seed: int) -> Comparison:
    """PST-12: variants in stock, total units and a sample of stock levels, exactly (keys with a known stock)."""
    result = Comparison()
    wanted = _wanted(pkg)
    stock = reading.stock
    rows = _cells(db, db.price_columns if isinstance(db, VariantRows) else ())
    result.orphans, result.unplaced = _strays(stock, pkg, wanted)
    asserted = [k for k in wanted if k in stock]
    result.not_asserted = len(wanted) - len(asserted)
    found = list(map(rows.get, asserted))
    result.missing_variants = found.count(None)
    wants = list(map(stock.__getitem__, asserted))
    gots = [int(r[1] or 0) if r is not None else 0 for r in found]
    want_in, got_in = sum(1 for v in wants if v > 0), sum(1 for v in gots if v > 0)
    want_units, got_units = sum(wants), sum(gots)
    result.columns["stock_quantity"] = {"package": want_in, "database": got_in}
    result.columns["units"] = {"package": want_units, "database": got_units}
    if want_in != got_in:
        result.findings.append(f"{got_in} active variants in stock, {want_in} expected from the package")
    if want_units != got_units:
        result.findings.append(f"{got_units} units in stock, {want_units} expected from the package")
    sample = _sample(asserted, sample_size, seed)
    result.sample_size = len(sample)
    for key in sample:
        row = rows.get(key)
        if row is None:
            continue
        result.compared += 1
        if int(row[1] or 0) != stock[key]:
            result.differ(f"{key}: database {row[1]}, package {stock[key]}")
    result.notes = {"multi_warehouse": sum(1 for w in map(reading.warehouses.get, asserted) if w and w > 1),
                    "rests_delta": reading.rests_delta}
    return result
