"""Full catalog import from a 1C package into the v13.4 schema (runbook step 7).

Order of work, and why:

1. **Preflight** (no database writes): every file exists, is XML in a known encoding, has no
   DTD/entities, is complete and of a supported CommerceML version. Any error → refused.
2. **One streaming pass** over the files (classifier → goods → offers → prices → rests):
   each record is validated and mapped to a staging row (``import_staging``) inside one
   transaction. Staging tables are ``TEMP``: no catalog row is written in this phase. The 3.1
   prices/rests files are read meanwhile by a forked process (``import_parallel``).
3. If the package produced any **error** (malformed or undecodable in the middle of a file,
   offers but no goods...) the transaction is rolled back: nothing written. Warnings are
   counted and the import goes on.
4. **Merge** (``import_merge``): set-based, idempotent upserts into categories, brands,
   products, product_variants, in the same transaction.

An ``import_sessions`` row records started → completed / failed with the report; the log goes
to ``LOG_DIR/import_products.log``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.products.services import import_merge as merge
from apps.products.services import import_parallel, mapping
from apps.products.services.import_staging import Staging
from apps.products.services.parser import PackageFile, XMLDataParser
from apps.products.services.validation import ValidationReport, resolve_price_fields
from apps.products.services.xml_reader import GoodRec, GroupRec, OfferRec, PriceTypeRec, PropertyRec, Record

logger = logging.getLogger("import_products")

FILE_TYPES = ("goods", "offers", "prices", "rests", "all")
PRICE_INDEX = {f: i for i, f in enumerate(merge.PRICE_COLS)}


class ImportFailed(Exception):
    """The import did not happen (nothing written); ``report`` says why when validation did."""

    def __init__(self, message: str, report: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass(slots=True)
class ImportOptions:
    data_dir: Path
    file_type: str = "all"
    batch_size: int = 5000
    dry_run: bool = False
    #: read 3.1 prices/rests files in a forked process while goods/offers are read (see
    #: import_parallel): True = always, False = never, None = unless the machine is oversubscribed
    parallel: bool | None = None


@dataclass(slots=True)
class ImportResult:
    session_id: int | None
    report: ValidationReport
    counts: merge.MergeCounts | None
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = {"session_id": self.session_id, "seconds": round(self.seconds, 3)}
        data["validation"] = {
            "errors": self.report.errors,
            "warnings": self.report.warnings,
            "problem_counts": self.report.problem_counts,
            "counts": asdict(self.report.counts),
            "version": self.report.version,
            "full_snapshot": self.report.full_snapshot,
            "problems": [asdict(p) for p in self.report.problems[:200]],
        }
        if self.counts is not None:
            data["counts"] = {k: v for k, v in asdict(self.counts).items() if k != "timings"}
        data["timings"] = {k: round(v, 3) for k, v in self.timings.items()}
        return data


class RecordStager:
    """Maps parsed records to staging rows; holds only the (small) classifier dictionaries."""

    def __init__(self, staging: Staging, wanted: set[str], colors: mapping.ColorMatcher) -> None:
        self.staging = staging
        self.wanted = wanted
        self.colors = colors
        # id -> (normalized name, dictionary values, "size" | "color" | None)
        self.properties: dict[str, tuple[str, dict[str, str], str | None]] = {}
        self.price_type_names: dict[str, str] = {}
        self.price_fields: dict[str, str | None] = {}
        self.pending_prices: list[tuple[int, str, list[tuple[str, Any]]]] = []
        self.brand_slugs: set[str] = set()
        self.has_groups = False
        self.goods_carry_variants = False

    def __call__(self, rec: Record, pf: PackageFile) -> None:
        if isinstance(rec, OfferRec):
            self._offer(rec)
        elif isinstance(rec, GoodRec):
            if "goods" in self.wanted:
                self._good(rec)
        elif isinstance(rec, GroupRec):
            if "goods" in self.wanted and rec.id:
                self.has_groups = True
                self.staging.add("stg_groups", (self.staging.next_seq(), rec.id, rec.name, rec.parent_id, mapping.make_slug(rec.name, rec.id)))
        elif isinstance(rec, PropertyRec):
            key = mapping.normalize_key(rec.name)
            self.properties[rec.id] = (key, rec.values, mapping.attribute_kind(key))
        elif isinstance(rec, PriceTypeRec):
            self.note_price_type(rec.id, rec.name, replace=True)

    def note_price_type(self, type_id: str, name: str, replace: bool = False) -> None:
        if replace or type_id not in self.price_type_names:
            self.price_type_names[type_id] = name
            self.price_fields = resolve_price_fields(self.price_type_names)

    # -- goods ------------------------------------------------------------------------
    def _brand(self, rec: GoodRec) -> str | None:
        best: tuple[int, str, str | None] | None = None
        for pid, value in rec.props:
            prop = self.properties.get(pid)
            if prop is None or not value or prop[0] not in mapping.BRAND_PROPERTY_NAMES:
                continue
            rank = mapping.BRAND_PROPERTY_NAMES.index(prop[0])
            name = prop[1].get(value)
            onec_id = value if name is not None else None
            name = (name if name is not None else value).strip()
            if name and (best is None or rank < best[0]):
                best = (rank, name, onec_id)
        if best is None and rec.manufacturer:
            best = (99, rec.manufacturer, None)
        if best is None:
            return None
        _rank, name, onec_id = best
        slug = mapping.transliterate(name)[:240] or f"brand-{mapping.short_id(name)}"
        if slug not in self.brand_slugs:
            self.brand_slugs.add(slug)
            self.staging.add("stg_brands", (slug, name, onec_id))
        return slug

    def _good(self, rec: GoodRec) -> None:
        if not rec.id:
            return
        product_id = rec.id.split("#", 1)[0].strip()
        images = json.dumps(rec.images, ensure_ascii=False)
        self.staging.add(
            "stg_products",
            (
                self.staging.next_seq(), product_id, rec.name, rec.article, rec.description or "", images,
                rec.group_ids[0] if rec.group_ids else None, self._brand(rec), rec.deleted,
                mapping.make_slug(rec.name, product_id),
            ),
        )
        if "#" in rec.id and "offers" in self.wanted:  # variant encoding 1: Товар Ид="p#v" (1C 2.04)
            self.goods_carry_variants = True
            color, size = self._attributes(rec.id, rec.name, rec.characteristics, rec.props)
            self.staging.add(
                "stg_offers",
                (self.staging.next_seq(), rec.id, product_id, rec.article, rec.name, color, size, rec.deleted),
            )

    # -- offers -----------------------------------------------------------------------
    def _attributes(
        self, offer_id: str, name: str | None, chars: list[tuple[str, str | None]], props: list[tuple[str, str | None]]
    ) -> tuple[str, str]:
        """Color and size: characteristics, then offer-level properties, then the offer name."""
        color = size = None
        for cname, value in chars:
            kind = mapping.attribute_kind(cname)
            if kind == "size" and size is None and value:
                size = value
            elif kind == "color" and color is None and value:
                color = value
        for pid, value in props:
            prop = self.properties.get(pid)
            if prop is None or not value:
                continue
            kind = prop[2]
            resolved = prop[1].get(value, value)
            if kind == "size" and size is None:
                size = resolved
            elif kind == "color" and color is None:
                color = resolved
        if (color is None or size is None) and "#" in offer_id and name:
            name_color, name_size = mapping.split_offer_name(name)
            color = color or name_color
            size = size or name_size
        return self.colors.canonical(color), (size or "").strip()

    def _offer(self, rec: OfferRec) -> None:
        if not rec.id:
            return
        if rec.has_offer_body and "offers" in self.wanted:
            product_id = rec.id.split("#", 1)[0].strip()
            color, size = self._attributes(rec.id, rec.name, rec.characteristics, rec.props)
            self.staging.add(
                "stg_offers",
                (self.staging.next_seq(), rec.id, product_id, rec.article, rec.name, color, size, rec.deleted),
            )
        if rec.prices and "prices" in self.wanted:
            self._prices(rec)
        if rec.has_rests and "rests" in self.wanted:
            self._rests(rec)

    def _prices(self, rec: OfferRec) -> None:
        """One staging row per offer with its six price columns (values normalised by the validator)."""
        values: list[Any] = [None] * len(merge.PRICE_COLS)
        unresolved: list[tuple[str, Any]] = []
        fields = self.price_fields
        for price in rec.prices:
            if price.type_id in fields:
                fld = fields[price.type_id]
                if fld is not None:
                    values[PRICE_INDEX[fld]] = price.stored
            else:
                unresolved.append((price.type_id, price.stored))
        seq = self.staging.next_seq()
        if unresolved:  # price types defined later in the package (Классификатор after the offers)
            self.pending_prices.append((seq, rec.id, [*zip(merge.PRICE_COLS, values, strict=True), *unresolved]))
            return
        self.staging.add("stg_prices", (seq, rec.id, *values))

    def _rests(self, rec: OfferRec) -> None:
        if rec.stock is not None:  # summed over warehouses and normalised by the validator
            self.staging.add("stg_rests", (self.staging.next_seq(), rec.id, rec.stock))

    def finish(self) -> None:
        """Resolve prices whose type was defined after them, then flush every buffer."""
        for seq, offer_id, entries in self.pending_prices:
            values: list[Any] = [None] * len(merge.PRICE_COLS)
            for key, value in entries:
                if key in PRICE_INDEX:
                    values[PRICE_INDEX[key]] = value
                elif (fld := self.price_fields.get(key)) is not None:
                    values[PRICE_INDEX[fld]] = value
            self.staging.add("stg_prices", (seq, offer_id, *values))
        self.pending_prices.clear()
        self.staging.flush()


class CatalogImporter:
    """``import_products_from_1c --full``: see the module docstring."""

    def __init__(self, options: ImportOptions) -> None:
        if options.file_type not in FILE_TYPES:
            raise ValueError(f"file type must be one of {', '.join(FILE_TYPES)}")
        self.options = options
        self.parser = XMLDataParser(options.data_dir)
        self.timings: dict[str, float] = {}
        self._child: import_parallel.ChildReader | None = None
        self._child_result: import_parallel.ChildResult | None = None

    @property
    def wanted(self) -> set[str]:
        ft = self.options.file_type
        return {"goods", "offers", "prices", "rests"} if ft == "all" else {ft}

    # -- dry run ----------------------------------------------------------------------------
    def validate_only(self) -> ValidationReport:
        started = time.perf_counter()
        report = self.parser.validate_files()
        logger.info("validated %s in %.2fs: %s errors, %s warnings", self.options.data_dir,
                    time.perf_counter() - started, report.errors, report.warnings)
        return report

    # -- the import -------------------------------------------------------------------------
    def run(self) -> ImportResult:
        from apps.products.models import ImportSession

        started = time.perf_counter()
        logger.info("import started: %s (file type %s, batch %s)", self.options.data_dir,
                    self.options.file_type, self.options.batch_size)
        try:
            session = ImportSession.objects.create(
                import_type=f"full:{self.options.file_type}",
                status=ImportSession.Status.STARTED,
                report={"data_dir": str(self.options.data_dir)},
            )
        except DatabaseError as exc:  # read-only or unreachable database: say so, write nothing
            logger.error("import refused: cannot record the import session: %s", exc)
            raise ImportFailed(f"cannot record the import session, nothing written: {exc}".strip()) from exc
        report: ValidationReport | None = None
        try:
            check_schema()
            t = time.perf_counter()
            report, validator = self.parser.preflight()
            self.timings["preflight"] = time.perf_counter() - t
            if report.errors:
                self.parser.stream(report, validator)  # complete the report (other files) for the operator
                raise ImportFailed(_refusal(report), report)
            counts = self._import(report, validator)
        except Exception as exc:
            message = str(exc) if isinstance(exc, ImportFailed) else f"{type(exc).__name__}: {exc}"
            session.status = ImportSession.Status.FAILED
            session.finished_at = timezone.now()
            session.error_message = message[:10000]
            session.report = {
                "data_dir": str(self.options.data_dir),
                "validation": report.to_dict() if report is not None else None,
                "timings": self.timings,
            }
            try:
                session.save(update_fields=["status", "finished_at", "error_message", "report"])
            except DatabaseError as save_error:  # the database went away: the log still says why
                logger.error("could not mark import session %s failed: %s", session.pk, save_error)
            logger.error("import failed (session %s), nothing written: %s", session.pk, message)
            if isinstance(exc, ImportFailed):
                raise
            raise ImportFailed(message, report) from exc
        result = ImportResult(session.pk, report, counts, time.perf_counter() - started, self.timings)
        session.status = ImportSession.Status.COMPLETED
        session.finished_at = timezone.now()
        session.report = result.summary()
        session.save(update_fields=["status", "finished_at", "report"])
        logger.info("import completed (session %s) in %.2fs: %s", session.pk, result.seconds,
                    json.dumps(result.summary().get("counts"), ensure_ascii=False))
        for problem in report.problems:
            logger.warning("%s", problem)
        return result

    def _import(self, report: ValidationReport, validator: Any) -> merge.MergeCounts:
        from apps.products.models import ColorMapping

        colors = mapping.ColorMatcher(list(ColorMapping.objects.values_list("name", flat=True)))
        counts = merge.MergeCounts()
        try:
            self._import_in_transaction(report, validator, colors, counts)
        finally:
            if self._child is not None:
                self._child.cleanup()
        return counts

    def _import_in_transaction(
        self, report: ValidationReport, validator: Any, colors: mapping.ColorMatcher, counts: merge.MergeCounts
    ) -> None:
        with transaction.atomic():
            staging = Staging(connection, self.options.batch_size)
            staging.create()
            stager = RecordStager(staging, self.wanted, colors)
            t = time.perf_counter()
            self._stream(report, validator, stager, staging)
            self.timings["parse_and_stage"] = time.perf_counter() - t
            if report.errors:
                raise ImportFailed(_refusal(report), report)
            t = time.perf_counter()
            stager.finish()
            if self._child_result is not None:
                import_parallel.load(self._child_result, staging)
            staging.analyze()
            self.timings["stage_flush"] = time.perf_counter() - t
            full = report.full_snapshot and self.options.file_type == "all"
            with connection.cursor() as cur:
                self._merge(cur, counts, stager, staging, full)

    def _stream(self, report: ValidationReport, validator: Any, stager: RecordStager, staging: Staging) -> None:
        """Classifier first (the price types and properties everything needs), then goods and
        offers here while a forked reader takes the 3.1 prices and rests files."""
        files = self.parser.pending_files
        first = [f for f in files if f.head.rank == 0]
        fork = import_parallel.use_fork(self.options.parallel) and bool(self.wanted & {"prices", "rests"})
        side = import_parallel.child_share(files) if fork else []
        rest = [f for f in files if f.head.rank != 0 and f not in side]
        self.parser.stream_files(first, report, validator, sink=stager)
        child = None
        if side and report.errors == 0:
            child = import_parallel.ChildReader(self.parser, side, stager, validator)
        try:
            t = time.perf_counter()
            self.parser.stream_files(rest, report, validator, sink=stager)
            self.timings["parse_goods_offers"] = time.perf_counter() - t
            if child is not None:
                t = time.perf_counter()
                result = child.collect()
                self.timings["wait_child"] = time.perf_counter() - t
                t = time.perf_counter()
                import_parallel.absorb(result, report, validator, stager)
                self.timings["absorb_child"] = time.perf_counter() - t
                self._child_result = result
                self.timings["parallel_files"] = len(side)
            elif side:
                self.parser.stream_files(side, report, validator, sink=stager)
            self.parser.finish(report, validator)
        except BaseException:
            if child is not None:
                child.cleanup()
            raise
        self._child = child

    def _merge(self, cur: Any, counts: merge.MergeCounts, stager: RecordStager, staging: Staging, full: bool) -> None:
        wanted = self.wanted
        t = time.perf_counter()
        merge.prepare_planner(cur)
        self.timings["merge_prepare"] = time.perf_counter() - t

        def step(name: str, fn: Any, *args: Any) -> None:
            t = time.perf_counter()
            fn(cur, counts, *args)
            self.timings[f"merge_{name}"] = time.perf_counter() - t

        if "goods" in wanted:
            step("categories", merge.merge_categories, full and stager.has_groups)
            step("brands", merge.merge_brands)
            step("products", merge.merge_products, full)
        if "offers" in wanted:
            step("final", merge.build_final_offers, staging.rows["stg_products"] > 0, stager.goods_carry_variants)
            step("variants", merge.merge_variants)
            if "goods" in wanted:
                step("default_variants", merge.merge_default_variants)
                if full:
                    step("deactivate_variants", merge.deactivate_absent_variants)
        else:
            if "prices" in wanted:
                step("prices", merge.update_prices_only)
            if "rests" in wanted:
                step("rests", merge.update_rests_only)
        step("analyze", merge.analyze_catalog)


def check_schema() -> None:
    """The import writes the v13.4 schema (Product + ProductVariant); refuse anything else."""
    with connection.cursor() as cur:
        tables = set(connection.introspection.table_names(cur))
        if "product_variants" not in tables or "products" not in tables:
            raise ImportFailed(
                "the database is not at the v13.4 schema (no product_variants table): run `manage.py migrate` first"
            )
        columns = {c.name for c in connection.introspection.get_table_description(cur, "products")}
    if "sku" in columns:
        raise ImportFailed("the database is between v13.3 and v13.4 (products still has per-SKU columns): finish `migrate`")


def _refusal(report: ValidationReport) -> str:
    errors = report.error_list()
    lines = [f"1C package refused, nothing written: {report.errors} error(s)"]
    lines += [f"  {p}" for p in errors[:20]]
    return "\n".join(lines)
