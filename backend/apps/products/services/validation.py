"""The validation report of a 1C package and the streaming checks that fill it.

Two kinds of problems, as operators need them:

* **errors** (hostile XML, malformed / truncated / undecodable file, unsupported version, a
  package with offers but no goods, a missing folder) — ``import_products_from_1c --full``
  refuses to start and writes nothing;
* **warnings** (orphan offers, unresolved group / property / price-type references,
  duplicate ids, negative or absurd numbers) — reported with file and line and counted; the
  import goes on, because real 1C exports are full of them.

Only the first ``MAX_LISTED`` problems of each code are listed (each is still counted), so a
package with 100k bad prices produces a readable report and bounded memory.
"""

from __future__ import annotations

import csv
import logging
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from apps.products.services import mapping
from apps.products.services import price_types as price_type_map
from apps.products.services.offer_index import (
    DELETED,
    GOOD,
    GOOD_DELETED,
    GOOD_VARIANT,
    OFFER,
    WITH_OFFERS,
    OfferIndex,
    ProductIndex,
)
from apps.products.services.xml_reader import (
    ContainerRec,
    GoodRec,
    GroupRec,
    OfferRec,
    PriceTypeRec,
    PropertyRec,
    Record,
    WarehouseRec,
)

logger = logging.getLogger("import_products")

MAX_LISTED = 50
SUPPORTED_VERSION_RE = re.compile(r"^(2\.(0[3-9]|1[0-9]?)|3\.0?1)$")

ERROR, WARNING = "error", "warning"

#: Import order of file kinds: classifier → goods → offers → prices → rests.
KIND_ORDER = ("groups", "properties", "priceLists", "storages", "goods", "offers", "prices", "rests", "documents", "unknown")


@dataclass(slots=True)
class Problem:
    severity: str  # "error" | "warning"
    code: str
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else (self.file or "-")
        return f"{self.severity.upper()} [{self.code}] {where}: {self.message}"


@dataclass(slots=True)
class FileInfo:
    path: str  # relative to the data dir
    kind: str  # primary kind (see KIND_ORDER)
    kinds: list[str]
    version: str | None
    namespace: str
    encoding: str
    bom: bool
    size: int
    only_changes: bool | None = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Counts:
    goods: int = 0
    offers: int = 0
    deleted: int = 0
    deleted_goods: int = 0
    deleted_offers: int = 0
    price_entries: int = 0
    rests: int = 0
    groups: int = 0
    properties: int = 0
    price_types: int = 0
    warehouses: int = 0
    duplicate_goods: int = 0
    duplicate_offers: int = 0
    orphan_offers: int = 0
    #: what a full import of this package must produce (the gate's PST-01/PST-02)
    expected_products: int = 0
    expected_active_products: int = 0
    expected_variants: int = 0
    #: active variants of active products: active offers + one default per active product
    #: without an active offer (what the gate's PST-02 counts)
    expected_active_variants: int = 0
    products_without_offers: int = 0


@dataclass(slots=True)
class ValidationReport:
    data_dir: str
    files: list[FileInfo] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    problems: list[Problem] = field(default_factory=list)
    problem_counts: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    warnings: int = 0
    full_snapshot: bool = True

    @property
    def ok(self) -> bool:
        """True when the import may start (warnings allowed)."""
        return self.errors == 0

    @property
    def version(self) -> str | None:
        if not self.versions:
            return None
        return self.versions[0] if len(self.versions) == 1 else "mixed: " + ", ".join(self.versions)

    def add(self, severity: str, code: str, message: str, file: str | None = None, line: int | None = None) -> None:
        key = f"{severity}:{code}"
        seen = self.problem_counts.get(key, 0)
        self.problem_counts[key] = seen + 1
        if severity == ERROR:
            self.errors += 1
        else:
            self.warnings += 1
        if seen < MAX_LISTED:
            self.problems.append(Problem(severity, code, message, file, line))

    def error_list(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["version"] = self.version
        return data

    def __str__(self) -> str:
        c = self.counts
        lines = [
            f"1C package {self.data_dir}: {'OK' if self.ok else 'REFUSED'} "
            f"({self.errors} errors, {self.warnings} warnings), CommerceML {self.version or '?'}",
            f"  goods {c.goods} (deleted {c.deleted_goods}), offers {c.offers} (deleted {c.deleted_offers}, "
            f"orphans {c.orphan_offers}), price entries {c.price_entries}, rests {c.rests}, groups {c.groups}",
            f"  expected after a full import: products {c.expected_products} "
            f"(active {c.expected_active_products}), variants {c.expected_variants}",
            "  files:",
        ]
        lines += [f"    {f.kind:<10} {f.version or '-':<5} {f.path}" for f in self.files]
        hidden = sum(self.problem_counts.values()) - len(self.problems)
        lines += [f"  {p}" for p in self.problems]
        if hidden > 0:
            lines.append(f"  ... {hidden} more problems counted in problem_counts")
        return "\n".join(lines)


class PackageValidator:
    """Accumulates the checks over the records of every file of one package (streaming)."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        self.group_ids: set[str] = set()
        self.property_names: dict[str, str] = {}
        self.price_types: dict[str, tuple[str, str, int]] = {}  # id -> (name, file, line)
        #: every product id seen, compact: a good (GOOD, its first place), its last occurrence
        #: deleted (GOOD_DELETED), it has offers (WITH_OFFERS)
        self.products = ProductIndex()
        #: offer ids of offers files (OFFER, DELETED) and 2.04 goods "p#v" (GOOD_VARIANT), compact
        self.offers = OfferIndex(products=self.products)
        self.pending_offer_products: dict[str, list[tuple[str, int, str]]] = {}
        self.pending_groups: dict[str, tuple[str, int]] = {}
        self.pending_props: dict[str, tuple[str, int]] = {}
        self.pending_price_types: dict[str, tuple[str, int]] = {}
        self.pending_price_offers: dict[str, tuple[str, int]] = {}
        #: the forked reader's pending price offers, in CSV files (``import_parallel.PendingSpill``)
        self.spilled_price_offers: list[tuple[str, list[str]]] = []
        self.price_type_uses: Counter[str] = Counter()
        self.offer_files: list[tuple[str, int]] = []

    # -- per record ---------------------------------------------------------------------
    def feed(self, rec: Record, file: str, kinds: Counter[str]) -> None:
        r, c = self.report, self.report.counts
        if isinstance(rec, GoodRec):
            kinds["goods"] += 1
            c.goods += 1
            if not rec.id:
                r.add(WARNING, "empty_id", "good without Ид skipped", file, rec.line)
                return
            if rec.deleted:
                c.deleted_goods += 1
                c.deleted += 1
            product_id = rec.id.split("#", 1)[0].strip()
            if product_id != rec.id:  # 1C 2.04: a Товар per variant (Ид "p#v"), the product is p
                if self.offers.update(rec.id, product_id, GOOD_VARIANT) & GOOD_VARIANT:
                    c.duplicate_goods += 1
                    r.add(WARNING, "duplicate_id", f"duplicate good {rec.id}; the last one wins", file, rec.line)
                self.products.update(product_id, WITH_OFFERS)
                self.products.set_first(product_id, file, rec.line)
            else:
                first = self.products.set_first(rec.id, file, rec.line)
                if first is not None:
                    c.duplicate_goods += 1
                    r.add(WARNING, "duplicate_id", f"duplicate good {rec.id} (also at {first[0]}:{first[1]}); the last one wins", file, rec.line)
            if rec.deleted:  # the last one wins
                self.products.update(product_id, GOOD_DELETED)
            else:
                self.products.update(product_id, 0, GOOD_DELETED)
            rec_id = product_id
            for gid in rec.group_ids:
                if gid not in self.group_ids and gid not in self.pending_groups:
                    self.pending_groups[gid] = (file, rec.line)
            self._check_props(rec.props, file, rec.line)
            pending = self.pending_offer_products.pop(rec_id, None)
            if pending:
                self.products.update(rec_id, WITH_OFFERS)
        elif isinstance(rec, OfferRec):
            self._offer(rec, file, kinds)
        elif isinstance(rec, GroupRec):
            kinds["groups"] += 1
            if not rec.id:
                r.add(WARNING, "empty_id", f"group {rec.name!r} without Ид skipped", file, rec.line)
                return
            if rec.id in self.group_ids:
                r.add(WARNING, "duplicate_id", f"duplicate group {rec.id}; the last one wins", file, rec.line)
            else:
                c.groups += 1
            self.group_ids.add(rec.id)
            self.pending_groups.pop(rec.id, None)
        elif isinstance(rec, PropertyRec):
            kinds["properties"] += 1
            c.properties += rec.id not in self.property_names
            self.property_names[rec.id] = rec.name
            self.pending_props.pop(rec.id, None)
        elif isinstance(rec, PriceTypeRec):
            kinds["priceLists"] += 1
            c.price_types += rec.id not in self.price_types
            self.price_types[rec.id] = (rec.name, file, rec.line)
            self.pending_price_types.pop(rec.id, None)
        elif isinstance(rec, WarehouseRec):
            kinds["storages"] += 1
            c.warehouses += 1
        elif isinstance(rec, ContainerRec) and rec.only_changes:
            r.full_snapshot = False

    def _check_props(self, props: list[tuple[str, str | None]], file: str, line: int) -> None:
        for pid, _value in props:
            if pid and pid not in self.property_names and pid not in self.pending_props:
                self.pending_props[pid] = (file, line)

    def _offer(self, rec: OfferRec, file: str, kinds: Counter[str]) -> None:
        r, c = self.report, self.report.counts
        if rec.has_offer_body:
            kinds["offers"] += 1
            c.offers += 1
            if not rec.id:
                r.add(WARNING, "empty_id", "offer without Ид skipped", file, rec.line)
                return
            if len(self.offer_files) < 1:
                self.offer_files.append((file, rec.line))
            product_id = rec.id.split("#", 1)[0].strip()
            if rec.deleted:
                before = self.offers.update(rec.id, product_id, OFFER | DELETED)
            else:
                before = self.offers.update(rec.id, product_id, OFFER, DELETED)
            if before & OFFER:
                c.duplicate_offers += 1
                r.add(WARNING, "duplicate_id", f"duplicate offer {rec.id}; the last one wins", file, rec.line)
            self.pending_price_offers.pop(rec.id, None)
            if rec.deleted:
                c.deleted_offers += 1
                c.deleted += 1
            if not self.products.mark_if(product_id, WITH_OFFERS, GOOD):
                self.pending_offer_products.setdefault(product_id, []).append((file, rec.line, rec.id))
            self._check_props(rec.props, file, rec.line)
        elif rec.prices:
            kinds["prices"] += 1
        elif rec.has_rests:
            kinds["rests"] += 1
        if (not rec.has_offer_body and rec.id and rec.id not in self.pending_price_offers
                and not self.offers.state(rec.id) & OFFER
                and not self.products.state(rec.id) & GOOD):  # a bare product Ид: its default variant's
            self.pending_price_offers[rec.id] = (file, rec.line)
        for price in rec.prices:
            c.price_entries += 1
            self.price_type_uses[price.type_id] += 1
            if price.type_id not in self.price_types and price.type_id not in self.pending_price_types:
                self.pending_price_types[price.type_id] = (file, price.line)
            try:
                value, problem, stored = mapping.read_price(price.value)
            except mapping.NumberError as exc:
                r.add(WARNING, "bad_number", f"offer {rec.id}: {exc}; stored as no price", file, price.line)
                continue
            if value is None:
                continue
            if problem:
                r.add(WARNING, "bad_price", f"offer {rec.id}: {problem} {value}; stored as NULL (no price)", file, price.line)
            else:
                price.stored = stored
        if rec.has_rests:
            c.rests += 1
            quantities = [q for _w, q in rec.warehouses] if rec.warehouses else [rec.quantity]
            total: int | None = None
            for q in quantities:
                try:
                    value = mapping.parse_decimal(q)
                except mapping.NumberError as exc:
                    r.add(WARNING, "bad_number", f"offer {rec.id}: {exc}; stored as 0", file, rec.line)
                    total = total or 0
                    continue
                if value is None:
                    continue
                if problem := mapping.quantity_problem(value):
                    r.add(WARNING, "bad_quantity", f"offer {rec.id}: {problem} {value}; stored as 0", file, rec.line)
                total = (total or 0) + (mapping.normalize_quantity(value) or 0)
            # a missing Количество is "unknown" (None): the stored stock is kept
            rec.stock = None if total is None else min(total, 2**31 - 1)

    # -- end of package ------------------------------------------------------------------
    def finish(self) -> None:
        r, c = self.report, self.report.counts
        for product_id, where in self.pending_offer_products.items():
            if self.products.mark_if(product_id, WITH_OFFERS, GOOD):  # product came in a later file
                continue
            for file, line, offer_id in where:
                c.orphan_offers += 1
                r.add(WARNING, "orphan_offer", f"offer {offer_id}: its product {product_id} is in no goods file; skipped", file, line)
        for gid, (file, line) in self.pending_groups.items():
            if gid not in self.group_ids:
                r.add(WARNING, "unresolved_group", f"group {gid} is not in the classifier; the product gets no category", file, line)
        for pid, (file, line) in self.pending_props.items():
            if pid not in self.property_names:
                r.add(WARNING, "unresolved_property", f"property {pid} is defined in no file; its values are ignored", file, line)
        for tid, (file, line) in self.pending_price_types.items():
            if tid not in self.price_types:
                r.add(WARNING, "unresolved_price_type", f"price type {tid!r} is defined in no file; its prices are ignored", file, line)
        for oid, (file, line) in self.pending_price_offers.items():
            if not self.offers.state(oid) & OFFER and not self.products.state(oid) & GOOD:
                r.add(WARNING, "unresolved_offer", f"price/rest for offer {oid} that is in no offers file; ignored", file, line)
        reported: set[str] = set()
        for path, names in self.spilled_price_offers:
            with open(path, encoding="utf-8", newline="") as fh:
                for oid, index, line in csv.reader(fh):
                    if oid in self.pending_price_offers or oid in reported or self.products.state(oid) & GOOD:
                        continue
                    if self.offers.state(oid) & OFFER:
                        continue
                    reported.add(oid)
                    r.add(WARNING, "unresolved_offer", f"price/rest for offer {oid} that is in no offers file; ignored",
                          names[int(index)], int(line) if line else None)
        types = price_type_map.load()
        mapped = types.resolve({tid: v[0] for tid, v in self.price_types.items()})
        for tid, (name, file, line) in self.price_types.items():
            uses = self.price_type_uses.get(tid, 0)
            rule = types.rule_for(name)
            if mapped.get(tid) is None and rule is None:
                r.add(WARNING, "unmapped_price_type",
                      f"price type {name!r} maps to no FreeSport price column ({types.path}): {uses} price(s) ignored",
                      file, line)
            elif mapped.get(tid) is None:
                logger.info("price type %r ignored by %s (%s): %s price(s) not imported", name, types.path,
                            rule.reason if rule else "", uses)
            elif rule is None:
                r.add(WARNING, "unmapped_price_type",
                      f"price type {name!r} is the only one: its {uses} price(s) stored as {mapped[tid]}", file, line)
        if c.offers and not c.goods:
            file, line = self.offer_files[0] if self.offer_files else (None, None)
            r.add(ERROR, "offers_without_goods", "the package has offers but no goods (Каталог/Товары): an incomplete upload", file, line)
        if not c.goods and not c.offers and r.errors == 0:
            r.add(ERROR, "no_catalog", "no goods or offers found in any file", r.data_dir, None)
        products = self.products
        c.expected_products = products.count(GOOD)
        c.expected_active_products = products.count(GOOD, GOOD_DELETED)
        c.products_without_offers = products.count(GOOD, WITH_OFFERS)
        # offers kept: in an offers file or a 2.04 good, of a known product; active: not deleted
        # in the offers file (a 2.04 good's variant always is), of an active product
        offers_kept = active_offers = 0
        with_active = bytearray(len(products))  # by product ordinal
        states = products.states
        for state, product in self.offers.entries():
            pstate = states[product]
            if pstate & GOOD:
                offers_kept += 1
                if (state & GOOD_VARIANT or not state & DELETED) and not pstate & GOOD_DELETED:
                    active_offers += 1
                    with_active[product] = 1
        # a default variant: a good without offers, or an active good whose offers are all deleted
        defaults = active_without = 0
        for pstate, active_offer in zip(states, with_active, strict=True):
            if not pstate & GOOD:
                continue
            lacks_active = not pstate & GOOD_DELETED and not active_offer
            active_without += lacks_active
            defaults += lacks_active or not pstate & WITH_OFFERS
        c.expected_variants = offers_kept + defaults
        c.expected_active_variants = active_offers + active_without


def resolve_price_fields(price_types: dict[str, str]) -> dict[str, str | None]:
    """Price type id → price column through ``settings.PRICE_TYPES_FILE`` (see ``price_types``)."""
    return price_type_map.load().resolve(price_types)
