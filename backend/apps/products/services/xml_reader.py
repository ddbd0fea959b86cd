"""Safe, streaming reading of CommerceML files: the only place that touches XML bytes.

Why this module exists: 1C packages are untrusted uploads of hundreds of MB. Every file is
(1) pre-scanned (encoding, BOM, root element, ``ВерсияСхемы``, refused DTD/entities, closing
root tag present), then (2) streamed with ``lxml.etree.iterparse`` with entity resolution,
DTD loading and network access off, yielding small plain records (dataclasses) and clearing
the element tree behind them so memory stays flat whatever the file size.

Element names are matched by local name (CommerceML uses no namespace, ``commerceml_2``,
``commerceml_208``, ``commerceml_210`` or ``commerceml_3``); ids are stripped of the padding
some exports carry (``"796 "``) consistently everywhere they are read or referenced.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from defusedxml import DTDForbidden, EntitiesForbidden
from lxml import etree

ROOT = "КоммерческаяИнформация"
_HEAD_BYTES = 256 * 1024
_TAIL_BYTES = 4096

_DECL_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ROOT_RE = re.compile(r"<(?![?!/])([^\s>/]+)([^>]*)>", re.S)
_ATTR_RE = re.compile(r"""([^\s=]+)\s*=\s*["']([^"']*)["']""")


class XMLProblem(Exception):
    """A fatal problem with one file (hostile, malformed, truncated, undecodable...)."""

    def __init__(self, code: str, message: str, file: str, line: int | None = None) -> None:
        super().__init__(f"{file}:{line or '?'}: {message}")
        self.code = code
        self.message = message
        self.file = file
        self.line = line


@dataclass(slots=True)
class FileHead:
    """What the pre-scan learns before parsing: enough to classify and refuse a file."""

    path: Path
    encoding: str
    bom: bool
    root: str  # local name of the root element
    namespace: str  # "" when none
    version: str | None
    attrs: dict[str, str]
    #: guessed import order from the start of the file (``guess_rank``)
    rank: int = 0
    #: the start of the file has a ``<Документ`` (an orders file)
    has_document: bool = False


def guess_rank(s: str) -> int:
    """Guessed import order from the decoded start of a file: classifier → goods → offers →
    prices → rests. Only an ordering hint: the real kinds come from the records.

    Computed once by ``scan_head``: the decoded start (256 KB of bytes, ~280 KB as ``str``) is not
    kept, as the files of a 1M-SKU package (165 of them) held ~45 MB of it through the whole import."""
    if "<Каталог" in s and "<Товары" in s:
        return 1
    if "ПакетПредложений" in s:
        at = s.find("Предложения>")
        body = s[at:] if at >= 0 else ""
        if "<Наименование" in body or "Наименование>" in body:
            return 2
        if "Цены" in body:
            return 3
        if "Остатки" in body:
            return 4
        return 2
    return 0


# ---------------------------------------------------------------------------- records
@dataclass(slots=True)
class GroupRec:
    id: str
    name: str
    parent_id: str | None
    line: int


@dataclass(slots=True)
class PropertyRec:
    id: str
    name: str
    values: dict[str, str]  # ИдЗначения -> Значение for dictionary properties
    line: int


@dataclass(slots=True)
class PriceTypeRec:
    id: str
    name: str
    currency: str | None
    line: int


@dataclass(slots=True)
class WarehouseRec:
    id: str
    name: str
    line: int


@dataclass(slots=True)
class PriceRec:
    type_id: str
    value: str | None  # raw text: normalised by mapping
    currency: str | None
    line: int
    stored: Decimal | None = None  # set by the validator: the value the import stores (None: no price)


@dataclass(slots=True)
class GoodRec:
    id: str
    article: str | None
    name: str
    description: str | None
    group_ids: list[str]
    images: list[str]
    props: list[tuple[str, str | None]]
    characteristics: list[tuple[str, str | None]]
    deleted: bool
    manufacturer: str | None
    line: int


@dataclass(slots=True)
class OfferRec:
    """An offer, or the price / rest part of one (3.1 splits them into separate files)."""

    id: str
    article: str | None
    name: str | None
    props: list[tuple[str, str | None]]
    characteristics: list[tuple[str, str | None]]
    prices: list[PriceRec]
    quantity: str | None  # Предложение/Количество (2.x) or a warehouse-less Остаток (3.1)
    warehouses: list[tuple[str, str | None]]  # (warehouse id, quantity text)
    deleted: bool
    has_offer_body: bool  # False for records of a prices-only or rests-only file
    line: int
    has_rests: bool = False
    stock: int | None = None  # set by the validator: summed, normalised stock (None: unknown)


@dataclass(slots=True)
class ContainerRec:
    """``Каталог`` / ``ПакетПредложений`` start: carries ``СодержитТолькоИзменения``."""

    kind: str  # "catalog" | "offers"
    only_changes: bool
    line: int


Record = GroupRec | PropertyRec | PriceTypeRec | WarehouseRec | GoodRec | OfferRec | ContainerRec


_LOCAL_NAMES: dict[str, str] = {
    "ID": "Ид",
    "NAME": "Наименование",
    "ARTICLE": "Артикул",
    "DESCRIPTION": "Описание",
    "GROUPS": "Группы",
    "GROUP": "Группа",
    "PICTURE": "Картинка",
    "PROPS": "ЗначенияСвойств",
    "CHARS": "ХарактеристикиТовара",
    "DELETED": "ПометкаУдаления",
    "MAKER": "Изготовитель",
    "PRICES": "Цены",
    "PRICE_TYPE": "ИдТипаЦены",
    "PRICE_VALUE": "ЦенаЗаЕдиницу",
    "CURRENCY": "Валюта",
    "RESTS": "Остатки",
    "STORE": "Склад",
    "QUANTITY": "Количество",
    "VALUE": "Значение",
    "VALUE_ID": "ИдЗначения",
    "VARIANTS": "ВариантыЗначений",
    "DICT": "Справочник",
    "CLASSIFIER": "Классификатор",
    "PROPERTIES": "Свойства",
    "PROPERTY": "Свойство",
    "PTYPES": "ТипыЦен",
    "PTYPE": "ТипЦены",
    "STORES": "Склады",
    "GOODS": "Товары",
    "GOOD": "Товар",
    "CATALOG": "Каталог",
    "OFFERS": "Предложения",
    "OFFER": "Предложение",
}


class _Tags:
    """Namespaced tag names of one file as plain attributes (``t.ID`` == ``"{ns}Ид"``): lxml
    compares full tags, and attribute access is the cheapest lookup in the hot loops."""

    ID = NAME = ARTICLE = DESCRIPTION = GROUPS = GROUP = PICTURE = PROPS = CHARS = DELETED = MAKER = ""
    PRICES = PRICE_TYPE = PRICE_VALUE = CURRENCY = RESTS = STORE = QUANTITY = VALUE = VALUE_ID = ""
    VARIANTS = DICT = CLASSIFIER = PROPERTIES = PROPERTY = PTYPES = PTYPE = STORES = GOODS = GOOD = ""
    CATALOG = OFFERS = OFFER = ""

    def __init__(self, ns: str) -> None:
        for attr, local in _LOCAL_NAMES.items():
            setattr(self, attr, f"{{{ns}}}{local}" if ns else local)


def clean_id(value: str | None) -> str:
    return (value or "").strip()


def clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


# ---------------------------------------------------------------------------- pre-scan
def _sniff_encoding(head: bytes) -> tuple[str, bool, int]:
    """(encoding, has_bom, bom_length) from the BOM, else the XML declaration, else UTF-8."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return enc, True, len(bom)
    if head.startswith(b"<\x00?\x00"):
        return "utf-16-le", False, 0
    if head.startswith(b"\x00<\x00?"):
        return "utf-16-be", False, 0
    m = _DECL_RE.match(head)
    return (m.group(1).decode("ascii").lower() if m else "utf-8"), False, 0


def scan_head(path: Path, display: str) -> FileHead:
    """Pre-scan a file: refuse DTDs/entities, undecodable encodings, non-XML; read the root."""
    size = path.stat().st_size
    if size == 0:
        raise XMLProblem("empty", "empty file", display, 1)
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    encoding, bom, bom_len = _sniff_encoding(head)
    try:
        codec = codecs.lookup(encoding)
    except LookupError as exc:
        raise XMLProblem("encoding", f"unsupported encoding {encoding!r} declared", display, 1) from exc
    body = head[bom_len:]
    try:
        text = codec.incrementaldecoder(errors="strict").decode(body, final=False)  # a cut char is truncation
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise XMLProblem(
            "encoding", f"bytes that are not {encoding} (declared or default encoding): {exc.reason} at byte {exc.start}",
            display, line,
        ) from None
    root_match = _ROOT_RE.search(text)  # skips <?xml ...?>, comments and <!DOCTYPE
    prolog = text[: root_match.start()] if root_match else text
    if "<!DOCTYPE" in prolog or "<!ENTITY" in prolog:
        first = min(i for i in (prolog.find("<!DOCTYPE"), prolog.find("<!ENTITY")) if i >= 0)
        line = prolog.count("\n", 0, first) + 1
        kind = "entities" if "<!ENTITY" in prolog else "dtd"
        exc_type = EntitiesForbidden if kind == "entities" else DTDForbidden
        raise XMLProblem(
            kind,
            f"hostile XML refused: {'entity declarations' if kind == 'entities' else 'a DOCTYPE/DTD'} "
            f"({exc_type.__name__}); CommerceML never uses them",
            display,
            line,
        )
    if root_match is None:
        raise XMLProblem("malformed", "no root element found (not an XML document)", display, 1)
    qname, attr_text = root_match.group(1), root_match.group(2)
    local = qname.split(":", 1)[-1]
    attrs = dict(_ATTR_RE.findall(attr_text))
    namespace = attrs.get("xmlns", "")
    if ":" in qname:
        namespace = attrs.get(f"xmlns:{qname.split(':', 1)[0]}", "")
    return FileHead(path, encoding, bom, local, namespace, attrs.get("ВерсияСхемы"), attrs, guess_rank(text),
                    "<Документ" in text)


def check_tail(head: FileHead, display: str) -> None:
    """A complete file ends with the closing root tag; an interrupted upload does not."""
    path = head.path
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - _TAIL_BYTES))
        tail = fh.read()
    try:
        text = tail.decode(head.encoding, errors="replace")
    except LookupError:  # pragma: no cover - scan_head refused it already
        return
    stripped = text.rstrip().rstrip("\x00")
    if head.root == ROOT and not re.search(rf"</(?:[^\s:>]+:)?{ROOT}\s*>$", stripped):
        with path.open("rb") as fh:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) + 1
        raise XMLProblem(
            "truncated",
            f"truncated file: it does not end with </{ROOT}> (interrupted upload?)",
            display,
            lines,
        )


def classify_syntax_error(exc: etree.XMLSyntaxError, display: str) -> XMLProblem:
    msg = str(exc.msg if hasattr(exc, "msg") and exc.msg else exc)
    line = exc.lineno or (exc.position[0] if exc.position else None)
    low = msg.lower()
    if "entity" in low and ("not defined" in low or "loop" in low or "amplification" in low):
        return XMLProblem("entities", f"hostile or undefined entity refused: {msg}", display, line)
    if "encoding" in low or "utf-8" in low or "char 0x" in low or "not proper" in low:
        return XMLProblem("encoding", f"undecodable bytes for the declared encoding: {msg}", display, line)
    if "premature end" in low or "end of data" in low:
        return XMLProblem("truncated", f"truncated file: {msg}", display, line)
    return XMLProblem("malformed", f"malformed XML: {msg}", display, line)


# ---------------------------------------------------------------------------- streaming
def iter_records(head: FileHead, display: str) -> Iterator[Record]:
    """Stream the records of one file; the tree is cleared behind each record.

    Only ``end`` events of the record elements reach Python (lxml builds the rest in C);
    each record's children are read in one loop. ``СодержитТолькоИзменения`` is read from
    the record's container the first time one is seen.
    """
    t = _Tags(head.namespace)
    GROUP, PROP, PTYPE, STORE, GOOD, OFFER = t.GROUP, t.PROPERTY, t.PTYPE, t.STORE, t.GOOD, t.OFFER
    tags = [GROUP, PROP, PTYPE, STORE, GOOD, OFFER]
    GROUPS, CLASSIFIER, PROPS, PTYPES, STORES = t.GROUPS, t.CLASSIFIER, t.PROPERTIES, t.PTYPES, t.STORES
    GOODS, CATALOG, OFFERS = t.GOODS, t.CATALOG, t.OFFERS
    context = etree.iterparse(
        str(head.path),
        events=("end",),
        tag=tags,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=True,  # no tail strings for the indentation: ~25% less parse time
    )
    containers_seen: set[int] = set()
    try:
        for _event, el in context:
            tag = el.tag
            parent = el.getparent()
            ptag = parent.tag if parent is not None else None
            rec: Record | None = None
            if tag == OFFER and ptag == OFFERS:
                grand = parent.getparent()  # type: ignore[union-attr]
                if grand is not None and id(grand) not in containers_seen:
                    containers_seen.add(id(grand))
                    yield _container("offers", grand)
                rec = _offer(el, t)
            elif tag == GOOD and ptag == GOODS:
                grand = parent.getparent()  # type: ignore[union-attr]
                if grand is None or grand.tag != CATALOG:
                    continue  # a Товар of an order document
                if id(grand) not in containers_seen:
                    containers_seen.add(id(grand))
                    yield _container("catalog", grand)
                rec = _good(el, t)
            elif tag == GROUP:
                grand = parent.getparent() if parent is not None else None
                if ptag != GROUPS or grand is None or grand.tag != CLASSIFIER:
                    continue  # nested group: emitted with its top-level ancestor
                yield from _groups(el, None, t)
            elif tag == PROP and ptag == PROPS:
                rec = _property(el, t)
            elif tag == PTYPE and ptag == PTYPES:
                rec = PriceTypeRec(
                    clean_id(el.findtext(t.ID)),
                    (el.findtext(t.NAME) or "").strip(),
                    clean_text(el.findtext(t.CURRENCY)),
                    el.sourceline or 0,
                )
            elif tag == STORE and ptag == STORES:
                rec = WarehouseRec(clean_id(el.findtext(t.ID)), (el.findtext(t.NAME) or "").strip(), el.sourceline or 0)
            else:
                continue  # e.g. Склад inside an offer: its offer reads it
            if rec is not None:
                yield rec
            # free memory: the record and every already-processed sibling
            el.clear(keep_tail=False)
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise classify_syntax_error(exc, display) from None
    finally:
        del context


def _container(kind: str, el: etree._Element) -> ContainerRec:
    flag = (el.get("СодержитТолькоИзменения") or "false").strip().lower() == "true"
    return ContainerRec(kind, flag, el.sourceline or 0)


def _groups(el: etree._Element, parent_id: str | None, t: _Tags) -> Iterator[GroupRec]:
    gid = clean_id(el.findtext(t.ID))
    yield GroupRec(gid, (el.findtext(t.NAME) or "").strip(), parent_id, el.sourceline or 0)
    for sub in el.iterchildren(t.GROUPS):
        for child in sub.iterchildren(t.GROUP):
            yield from _groups(child, gid or parent_id, t)


def _property(el: etree._Element, t: _Tags) -> PropertyRec:
    values: dict[str, str] = {}
    for variants in el.iterchildren(t.VARIANTS):
        for ref in variants.iterchildren(t.DICT):
            vid = clean_id(ref.findtext(t.VALUE_ID))
            if vid:
                values[vid] = (ref.findtext(t.VALUE) or "").strip()
    return PropertyRec(clean_id(el.findtext(t.ID)), (el.findtext(t.NAME) or "").strip(), values, el.sourceline or 0)


def _props(block: etree._Element, t: _Tags) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    T_ID, T_VALUE = t.ID, t.VALUE
    for pv in block:
        pid, value = "", None
        for ch in pv:
            if ch.tag == T_ID:
                pid = clean_id(ch.text)
            elif ch.tag == T_VALUE and value is None:
                value = clean_text(ch.text)
        out.append((pid, value))
    return out


def _characteristics(block: etree._Element, t: _Tags) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    T_NAME, T_VALUE = t.NAME, t.VALUE
    for ch in block:
        name, value = "", None
        for x in ch:
            if x.tag == T_NAME:
                name = (x.text or "").strip()
            elif x.tag == T_VALUE:
                value = clean_text(x.text)
        out.append((name, value))
    return out


def _good(el: etree._Element, t: _Tags) -> GoodRec:
    rec = GoodRec("", None, "", None, [], [], [], [], (el.get("Статус") or "").strip().lower() == "удален", None, el.sourceline or 0)
    for ch in el:
        tag = ch.tag
        if tag == t.ID:
            rec.id = clean_id(ch.text)
        elif tag == t.NAME:
            rec.name = (ch.text or "").strip()
        elif tag == t.ARTICLE:
            rec.article = clean_text(ch.text)
        elif tag == t.DESCRIPTION:
            rec.description = clean_text(ch.text)
        elif tag == t.GROUPS:
            rec.group_ids.extend(x for x in (clean_id(g.text) for g in ch) if x)
        elif tag == t.PICTURE:
            if img := clean_id(ch.text):
                rec.images.append(img)
        elif tag == t.PROPS:
            rec.props.extend(_props(ch, t))
        elif tag == t.CHARS:
            rec.characteristics.extend(_characteristics(ch, t))
        elif tag == t.DELETED:
            rec.deleted = rec.deleted or (ch.text or "").strip().lower() == "true"
        elif tag == t.MAKER:
            rec.manufacturer = clean_text(ch.findtext(t.NAME))
    return rec


def _offer(el: etree._Element, t: _Tags) -> OfferRec:
    rec = OfferRec("", None, None, [], [], [], None, [], (el.get("Статус") or "").strip().lower() == "удален", False, el.sourceline or 0)
    T_ID, T_PRICES, T_REST, T_STORE = t.ID, t.PRICES, t.RESTS, t.STORE
    for ch in el:
        tag = ch.tag
        if tag == T_ID:
            rec.id = clean_id(ch.text)
        elif tag == T_PRICES:
            T_TYPE, T_VALUE, T_CUR = t.PRICE_TYPE, t.PRICE_VALUE, t.CURRENCY
            prices = rec.prices
            for p in ch:  # the hottest loop of a 3.1 package: kept minimal (raw value text)
                type_id, value, currency = "", None, None
                for x in p:
                    xt = x.tag
                    if xt == T_TYPE:
                        type_id = (x.text or "").strip()
                    elif xt == T_VALUE:
                        value = x.text
                    elif xt == T_CUR:
                        currency = x.text
                prices.append(PriceRec(type_id, value, currency, p.sourceline or 0))
        elif tag == T_REST:  # 3.1: Остатки/Остаток/Склад/(Ид, Количество) or Остаток/Количество
            rec.has_rests = True
            _rests(ch, rec, t)
        elif tag == t.QUANTITY:
            rec.quantity = clean_text(ch.text)
            rec.has_rests = rec.has_rests or rec.quantity is not None
        elif tag == T_STORE:  # 2.07/2.08: attributes
            rec.warehouses.append((clean_id(ch.get("ИдСклада")), clean_text(ch.get("КоличествоНаСкладе"))))
            rec.has_rests = True
        elif tag == t.NAME:
            rec.name = (ch.text or "").strip()
            rec.has_offer_body = True
        elif tag == t.ARTICLE:
            rec.article = clean_text(ch.text)
        elif tag == t.PROPS:
            rec.props.extend(_props(ch, t))
            rec.has_offer_body = True
        elif tag == t.CHARS:
            rec.characteristics.extend(_characteristics(ch, t))
            rec.has_offer_body = True
        elif tag == t.DELETED:
            rec.deleted = rec.deleted or (ch.text or "").strip().lower() == "true"
    return rec


def _first_texts(el: etree._Element, first: str, second: str) -> tuple[str | None, str | None]:
    """The texts of ``el``'s first ``first`` and first ``second`` child (``findtext`` of each: ``""``
    for an empty element, None for none), in one pass over the children: ``findtext`` goes through
    lxml's ElementPath and cost ~4x the whole loop in the rests files."""
    a = b = None
    found_a = found_b = False
    for x in el:
        xt = x.tag
        if xt == first:
            if not found_a:
                a, found_a = x.text or "", True
        elif xt == second and not found_b:
            b, found_b = x.text or "", True
    return a, b


def _rests(block: etree._Element, rec: OfferRec, t: _Tags) -> None:
    """``Остатки``: ``Остаток/Склад/(Ид, Количество)`` per warehouse, or a warehouse-less ``Остаток/Количество``."""
    T_STORE, T_ID, T_QUANTITY = t.STORE, t.ID, t.QUANTITY
    warehouses = rec.warehouses
    for rest in block:
        stores = False
        for st in rest:
            if st.tag == T_STORE:
                stores = True
                wid, qty = _first_texts(st, T_ID, T_QUANTITY)
                warehouses.append((clean_id(wid), clean_text(qty)))
        if not stores and rec.quantity is None:
            rec.quantity = clean_text(_first_texts(rest, T_QUANTITY, T_QUANTITY)[0])
