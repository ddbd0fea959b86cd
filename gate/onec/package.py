"""A CommerceML package as facts: files, versions, ids, and the counts an import must produce.

Why our own reader: expected counts must not come from the importer's code, or a bug there
would be "proven" by itself. Files are streamed with ``lxml.etree.iterparse`` (elements cleared
as they end), element local names are matched (namespaces vary by version), and the defusedxml
rules are applied up front: a DTD or an entity declaration refuses the file before parsing.

>>> pkg = read_package(Path("backend/sample_data/commerceml"))   # doctest: +SKIP
>>> pkg.expected_products, pkg.expected_variants, pkg.expected_categories   # doctest: +SKIP
(1000, 3400, 41)
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from lxml import etree

ROOT = "КоммерческаяИнформация"
SUPPORTED_VERSIONS = frozenset({"2.03", "2.04", "2.05", "2.06", "2.07", "2.08", "2.09", "2.10", "3.1"})
KINDS = ("groups", "goods", "offers", "prices", "rests")
_HEAD_BYTES = 64 * 1024
_TRUE = {"true", "1", "да"}
T = TypeVar("T")


class HostileXml(ValueError):
    """The file declares a DTD or entities (refused before parsing: defusedxml rules)."""


@functools.cache
def local_name(tag: object) -> str:
    """An element's tag without its namespace ("" for a comment or a processing instruction).

    Cached: a package has a few dozen distinct tags and millions of elements (``etree.QName`` per
    element was a fifth of a 100k package's reading).
    """
    return etree.QName(tag).localname if isinstance(tag, str) else ""


NamedChildren = list[tuple[str, etree._Element]]
"""An element's children with their local names, in document order."""
PriceTexts = tuple[str | None, str | None, str | None]
"""One ``Цена``'s ``ИдТипаЦены``, ``ЦенаЗаЕдиницу`` and ``Валюта`` texts, the first of each (None: absent or empty)."""


def named_children(el: etree._Element, only: tuple[str, ...] = ()) -> NamedChildren:
    """An element's children with their local names, from one pass over them; ``only``: just the children
    with these tags (``{*}name``: in any namespace), the others never reach Python."""
    return [(local_name(c.tag), c) for c in (el.iterchildren(*only) if only else el)]


def first_of_each(kids: NamedChildren) -> dict[str, etree._Element]:
    """The first child of each local name (a later one of the same name does not replace it)."""
    return dict(reversed(kids))


def children(el: etree._Element) -> dict[str, etree._Element]:
    """An element's children by local name (the first of each name), from one pass over them."""
    return first_of_each(named_children(el))


class ByContent(Generic[T]):
    """``read(el)``, cached by the element's serialisation (its tags, attributes and texts; at most ``size`` of
    them, then it starts again). A package repeats the same few thousand ``Цены`` and ``Остатки``, and
    serialising one costs a fraction of reading its elements' tags and texts in Python; ``read`` must
    depend on nothing but the element's content, so a hit is what reading it would give.
    """

    def __init__(self, read: Callable[[etree._Element], T], size: int = 1 << 14) -> None:
        self._read = read
        self._size = size
        self._known: dict[bytes, T] = {}

    def __call__(self, el: etree._Element) -> T:
        xml = etree.tostring(el, encoding="utf-8", with_tail=False)
        try:
            return self._known[xml]
        except KeyError:
            pass
        if len(self._known) >= self._size:
            self._known.clear()
        value = self._known[xml] = self._read(el)
        return value


@dataclass(frozen=True, slots=True)
class PriceList:
    """One ``Цены`` as read: each price's texts, in order, and the price type ids they name."""

    texts: tuple[PriceTexts, ...]
    refs: tuple[str, ...]
    """Each price's ``ИдТипаЦены``, stripped, when not empty (in order, repeats kept)."""


def _read_prices(prices: etree._Element) -> PriceList:
    texts = tuple(map(_price_texts, prices))
    return PriceList(texts, tuple(ref for ref in ((t or "").strip() for t, _value, _currency in texts) if ref))


price_list = ByContent(_read_prices)
"""A ``Цены`` element's prices (each child is one), read or known by its serialisation."""


def _price_texts(price: etree._Element) -> PriceTexts:
    texts: dict[str, str | None] = {}
    for c in price:
        texts.setdefault(local_name(c.tag), c.text)
    return texts.get("ИдТипаЦены"), texts.get("ЦенаЗаЕдиницу"), texts.get("Валюта")


@dataclass(slots=True)
class Offer:
    """One ``Предложение``, ended: its children read once, for the package's facts and a sink's."""

    kids: NamedChildren
    _prices: tuple[etree._Element, PriceList] | None = None

    def prices(self, el: etree._Element) -> PriceList:
        """:data:`price_list` of ``el`` (one of the offer's ``Цены``), read once however often asked."""
        if self._prices is None or self._prices[0] is not el:
            self._prices = (el, price_list(el))
        return self._prices[1]


def _text(el: etree._Element | None) -> str:
    return (el.text or "") if el is not None else ""


def _deleted(el: etree._Element, kids: dict[str, etree._Element]) -> bool:
    if (el.get("Статус") or "").strip().lower() == "удален":
        return True
    return _text(kids.get("ПометкаУдаления")).strip().lower() in _TRUE


@dataclass(slots=True)
class XmlFile:
    """One file of the package: what it holds and whether it reads cleanly."""

    path: str
    size: int = 0
    version: str = ""
    namespace: str = ""
    kinds: list[str] = field(default_factory=list)
    error: str = ""
    complete: bool = True

    @property
    def ok(self) -> bool:
        """Read to the end without error, a supported version, closed root."""
        return not self.error and self.complete and self.version in SUPPORTED_VERSIONS


@dataclass(slots=True)
class OnecPackage:
    """Everything the gate knows about a package after one streaming pass over its files."""

    root: str
    files: list[XmlFile] = field(default_factory=list)
    products: set[str] = field(default_factory=set)
    deleted_products: set[str] = field(default_factory=set)
    offers: set[str] = field(default_factory=set)
    deleted_offers: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    price_types: set[str] = field(default_factory=set)
    price_refs: set[str] = field(default_factory=set)
    priced_offers: set[str] = field(default_factory=set)
    duplicate_ids: list[str] = field(default_factory=list)
    goods_rows: Counter[str] = field(default_factory=Counter)
    offer_rows: Counter[str] = field(default_factory=Counter)

    def merge(self, part: OnecPackage) -> None:
        """Add ``part``, the facts of the package's next file read on its own, as if read after the files so
        far. An id seen a second time (in ``part``'s file or before it) is a duplicate, named with the file it
        came back in; ``offers`` still holds deleted ones until :func:`read_package` takes them out."""
        rel = part.files[-1].path if part.files else "?"
        self.files += part.files
        for name in ID_SETS:
            getattr(self, name).update(getattr(part, name))
        for kind, rows, more in (("Товар", self.goods_rows, part.goods_rows),
                                 ("Предложение", self.offer_rows, part.offer_rows)):
            for key, n in more.items():  # in the file's order
                before = rows[key]
                rows[key] = before + n
                if before < 2 <= before + n:
                    self.duplicate_ids.append(f"{kind} {key} in {rel}")

    # facts -----------------------------------------------------------------------
    @property
    def kinds_present(self) -> set[str]:
        """The kinds of data found across the files (goods, offers, prices, rests, groups)."""
        return {k for f in self.files for k in f.kinds}

    @property
    def missing_kinds(self) -> list[str]:
        """ONE-02: required kinds that no file holds."""
        return [k for k in KINDS if k not in self.kinds_present]

    @property
    def broken_files(self) -> list[str]:
        """ONE-03: files that are not well-formed, truncated, hostile or of an unsupported version."""
        out = []
        for f in self.files:
            if f.error:
                out.append(f"{f.path}: {f.error}")
            elif not f.complete:
                out.append(f"{f.path}: truncated (does not end with </{ROOT}>)")
            elif f.version not in SUPPORTED_VERSIONS:
                out.append(f"{f.path}: unsupported CommerceML version {f.version or '(none)'}")
        return out

    @property
    def orphan_offers(self) -> list[str]:
        """Offers whose product is in no file of the package."""
        known = self.products | self.deleted_products
        return sorted(o for o in self.offers if o.split("#", 1)[0] not in known)

    @property
    def unresolved_price_types(self) -> list[str]:
        """Price type ids used by prices that no ``ТипЦены`` defines."""
        return sorted(self.price_refs - self.price_types) if self.price_types or self.price_refs else []

    @property
    def inconsistencies(self) -> list[str]:
        """ONE-04: duplicate ids, orphan offers, unresolved price types."""
        out = [f"duplicate id {d}" for d in self.duplicate_ids[:20]]
        orphans = self.orphan_offers
        if orphans:
            out.append(f"{len(orphans)} offer(s) whose product is in no file, e.g. {orphans[0]}")
        unresolved = self.unresolved_price_types
        if unresolved:
            out.append(f"{len(unresolved)} price type(s) used but not defined: {', '.join(unresolved[:5])}")
        return out

    @property
    def expected_products(self) -> int:
        """Products an import must produce: goods not deleted (one per product guid)."""
        return len(self.products)

    @property
    def expected_variants(self) -> int:
        """Offers resolving to imported goods + one default variant per product without offers."""
        resolving = {o for o in self.offers if "#" in o and o.split("#", 1)[0] in self.products}
        with_offers = {o.split("#", 1)[0] for o in resolving}
        return len(resolving) + len(self.products - with_offers)

    @property
    def goods_in_package(self) -> int:
        """Every product guid in the package, deleted ones included (an upper bound for product rows)."""
        return len(self.products | self.deleted_products)

    @property
    def variants_in_package(self) -> int:
        """Every offer (deleted included) + a default per product guid: an upper bound for variant rows."""
        offers = {o for o in self.offers | self.deleted_offers if "#" in o}
        return len(offers) + self.goods_in_package

    @property
    def expected_categories(self) -> int:
        """Categories an import must produce: the classifier's groups (not deleted)."""
        return len(self.groups)

    def counts(self) -> dict[str, int]:
        """The expected counts as a dict (recorded in the run)."""
        return {"products": self.expected_products, "variants": self.expected_variants,
                "categories": self.expected_categories}

    def to_json(self) -> str:
        """A summary for the run directory (files and counts, not every id)."""
        return json.dumps({"root": self.root, "files": [asdict(f) for f in self.files], "counts": self.counts(),
                           "missing_kinds": self.missing_kinds, "broken_files": self.broken_files,
                           "inconsistencies": self.inconsistencies}, ensure_ascii=False, indent=1)


def xml_files(root: Path) -> list[Path]:
    """Every ``*.xml`` under ``root`` (names are opaque), sorted."""
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() == ".xml")


def refuse_hostile(path: Path) -> None:
    """Raise ``HostileXml`` when the file declares a DTD or entities (read before any parser sees it)."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise HostileXml("declares a DTD or entities (refused: no DTD/entities)")


def _ends_closed(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 512))
        tail = fh.read().rstrip()
    return tail.endswith(f"</{ROOT}>".encode())


_VERSION = re.compile(rb'\xd0\x92\xd0\xb5\xd1\x80\xd1\x81\xd0\xb8\xd1\x8f\xd0\xa1\xd1\x85\xd0\xb5\xd0\xbc\xd1\x8b\s*=\s*"([^"]*)"')
_XMLNS = re.compile(rb'<(?:\w+:)?' + ROOT.encode() + rb'[^>]*?\sxmlns="([^"]*)"')
_TAGS = ["{*}Товар", "{*}Предложение", "{*}Группа", "{*}ТипЦены", "{*}ПакетПредложений", "{*}" + ROOT]
_OFFERS_PACKAGE = "ПакетПредложений"
_GOOD_FACTS = ("{*}Ид", "{*}ПометкаУдаления")
"""A ``Товар``'s children the package reads (it has a dozen more: names, pictures, properties)."""
ID_SETS = ("products", "deleted_products", "offers", "deleted_offers", "groups", "price_types", "price_refs",
           "priced_offers")
"""The package's sets of ids (what :meth:`OnecPackage.merge` unites and the run's cache keeps)."""


class OfferSink(Protocol):
    """What else a pass over the package collects (``gate.onec.prices``' reading): the same pass, no second one."""

    def price_type(self, el: etree._Element) -> None:
        """A ``ТипЦены`` element, ended."""

    def offer(self, offer: Offer, delta: bool) -> None:
        """A ``Предложение``, ended (``delta``: its ``ПакетПредложений`` holds only changes)."""


def _head_facts(path: Path, info: XmlFile) -> None:
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    root_at = head.find(ROOT.encode())
    if root_at < 0:
        return
    tail = head[root_at:]
    version = _VERSION.search(tail[:4096])
    info.version = version.group(1).decode() if version else ""
    xmlns = _XMLNS.search(head[max(0, root_at - 2):root_at + 4096])
    info.namespace = xmlns.group(1).decode() if xmlns else ""


def _read_file(path: Path, pkg: OnecPackage, rel: str, sink: OfferSink | None = None) -> XmlFile:
    info = XmlFile(rel, path.stat().st_size)
    try:
        refuse_hostile(path)
    except HostileXml as exc:
        info.error = str(exc)
        return info
    info.complete = _ends_closed(path)
    _head_facts(path, info)
    kinds: set[str] = set()
    context = etree.iterparse(
        str(path), events=("start", "end"), tag=_TAGS, resolve_entities=False, no_network=True, load_dtd=False,
        huge_tree=True, remove_comments=True, remove_blank_text=True,
    )
    seen_root = delta = False
    try:
        for event, el in context:
            if event == "start":  # only a ПакетПредложений's attributes are wanted before its end
                if sink is not None and local_name(el.tag) == _OFFERS_PACKAGE:
                    delta = (el.get("СодержитТолькоИзменения") or "").strip().lower() == "true"
                continue
            name = local_name(el.tag)
            if name == "Группа":
                kinds.add("groups")
                kids = children(el)
                gid = _text(kids.get("Ид")).strip()
                if gid and not _deleted(el, kids):
                    pkg.groups.add(gid)
            elif name == "Товар":
                kinds.add("goods")
                kids = first_of_each(named_children(el, _GOOD_FACTS))
                gid = sys.intern(_text(kids.get("Ид")).strip())  # one string per id across sets and readings
                if gid:
                    pkg.goods_rows[gid] += 1
                    base = sys.intern(gid.split("#", 1)[0])
                    if _deleted(el, kids):
                        pkg.deleted_products.add(base)
                    else:
                        pkg.products.add(base)
                        if "#" in gid:
                            pkg.offers.add(gid)
                _drop(el)
            elif name == "ТипЦены":
                kids = children(el)
                tid = _text(kids.get("Ид")).strip()
                if tid:
                    pkg.price_types.add(tid)
                if sink is not None:
                    sink.price_type(el)
            elif name == "Предложение":
                offer = Offer(named_children(el))
                kids = first_of_each(offer.kids)
                oid = sys.intern(_text(kids.get("Ид")).strip())
                prices = kids.get("Цены")
                if prices is not None:
                    kinds.add("prices")
                    pkg.price_refs.update(offer.prices(prices).refs)
                    if oid and len(prices):
                        pkg.priced_offers.add(oid)
                if "Остатки" in kids or "Количество" in kids:
                    kinds.add("rests")
                if "Наименование" in kids and oid:
                    kinds.add("offers")
                    pkg.offer_rows[oid] += 1
                    (pkg.deleted_offers if _deleted(el, kids) else pkg.offers).add(oid)
                if sink is not None:
                    sink.offer(offer, delta)
                _drop(el)
            elif name == ROOT:
                seen_root = True
    except etree.XMLSyntaxError as exc:
        info.error = f"not well-formed: {exc}"
    if info.error == "" and (not seen_root or not info.version):
        info.error = f"no <{ROOT} ВерсияСхемы=...> root"
    info.kinds = sorted(kinds)
    return info


def _drop(el: etree._Element) -> None:
    """Free a handled element and its already-handled siblings (memory stays flat on huge files)."""
    el.clear()
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def read_package(root: Path, sink: OfferSink | None = None) -> OnecPackage:
    """Stream every XML file under ``root`` once and collect the package's facts (and ``sink``'s)."""
    pkg = OnecPackage(str(root))
    if not root.is_dir():
        return pkg
    for path in xml_files(root):
        pkg.merge(read_file(root, path, sink))
    pkg.offers -= pkg.deleted_offers
    return pkg


def read_file(root: Path, path: Path, sink: OfferSink | None = None) -> OnecPackage:
    """One file of the package under ``root``, read on its own: the part :meth:`OnecPackage.merge` adds."""
    part = OnecPackage(str(root))
    part.files.append(_read_file(path, part, str(path.relative_to(root)), sink))
    return part


def file_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (IMP-03: the package before and after the import), two files at a
    time (hashlib lets go of the GIL while it hashes a block)."""
    from concurrent.futures import ThreadPoolExecutor

    paths = sorted(p for p in root.rglob("*") if p.is_file())
    with ThreadPoolExecutor(max_workers=2) as pool:
        digests = list(pool.map(_sha256, paths))
    return {str(path.relative_to(root)): digest for path, digest in zip(paths, digests, strict=True)}


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
