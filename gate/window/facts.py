"""Facts the window's checks assert, as plain functions (self-tests call them on faulty inputs).

>>> flush_plan_findings({"deleted": {"products": 3, "order_items": 2}, "updated": {}}, ["order_items"], ["products"])
['the flush would delete or update protected table order_items (2 rows)']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, cast

from gate.types import Severity

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

    from gate.db.target import ImportSession

HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


class FlushPlan(TypedDict, total=False):
    """The application's flush dry run (``flush_plan.json``): rows per table it would update or delete."""

    updated: dict[str, int]
    deleted: dict[str, int]
    blocked_by: list[str]


def flush_plan_findings(plan: FlushPlan, protected: Iterable[str], product_tables: Iterable[str]) -> list[str]:
    """FLS-01: what in a dry-run plan is not a product table, and any protected table it reaches."""
    protected, product_tables = set(protected), set(product_tables)
    out = []
    touched = {**plan.get("updated", {}), **plan.get("deleted", {})}
    for table, rows in sorted(touched.items()):
        if table in protected:
            out.append(f"the flush would delete or update protected table {table} ({rows} rows)")
    for table in plan.get("blocked_by", []) or []:
        out.append(f"the flush is blocked by PROTECT/RESTRICT from {table}")
    for table, rows in sorted(plan.get("deleted", {}).items()):
        if table not in protected and table not in product_tables and rows:
            out.append(f"the flush would delete {rows} rows of {table}, not a product table")
    return out


def import_findings(session: ImportSession | None, log_errors: list[str], rows_written: int,
                    package_files: int, package_goods: int | None = None,
                    package_offers: int | None = None) -> list[str]:
    """IMP-01: the import session completed, its log has no ERROR, it wrote rows, it read the whole package.

    "Read the whole package" is what the session reports against the gate's own reading: files
    processed (``files_processed``) = XML files, goods and offers read (``validation.counts``) =
    goods and offers in the package.
    """
    out = []
    if session is None:
        out.append("no import session recorded (import_sessions is empty)")
    else:
        if session.get("status") != "completed":
            out.append(f"import session {session.get('id')} is {session.get('status')}: "
                       f"{(session.get('error_message') or '')[:200]}")
        report = session.get("report") or {}
        processed = _files_processed(report)
        if processed is not None and package_files and processed != package_files:
            out.append(f"files processed {processed} ≠ files in the package {package_files}")
        records = _records(report)
        if records == 0:
            out.append("the import session reports completed with 0 records")
        validation = report.get("validation")
        counts = validation.get("counts") if isinstance(validation, dict) else None
        read = counts if isinstance(counts, dict) else {}
        for key, expected in (("goods", package_goods), ("offers", package_offers)):
            got = read.get(key)
            if isinstance(got, int) and expected is not None and got != expected:
                out.append(f"the import read {got} {key}, the package holds {expected}")
    if rows_written == 0:
        out.append("the import wrote no rows (products and product_variants are empty)")
    if log_errors:
        out.append(f"{len(log_errors)} ERROR line(s) in the import log, first: {log_errors[0][:200]}")
    return out


def _files_processed(report: Mapping[str, object]) -> int | None:
    for key in ("files_processed", "files", "processed_files"):
        value = report.get(key)
        if isinstance(value, int):
            return value
        if isinstance(value, list):
            return len(value)
    return None


def _records(report: Mapping[str, object]) -> int | None:
    for key in ("records", "records_processed", "total_records", "rows"):
        value = report.get(key)
        if isinstance(value, int):
            return value
    counts = report.get("counts")
    if isinstance(counts, dict):
        written = [v for k, v in counts.items() if isinstance(v, int) and k.endswith(("_created", "_updated"))]
        if written:
            return sum(written)
    return None


def changed_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """IMP-03: files whose sha256 changed, that disappeared, or that appeared."""
    out = [f"{p}: changed" for p in sorted(before) if p in after and after[p] != before[p]]
    out += [f"{p}: gone" for p in sorted(set(before) - set(after))]
    out += [f"{p}: new" for p in sorted(set(after) - set(before))]
    return out


DEFAULT_PRICE_FIELDS = ("price", "retail_price", "current_price")
"""Where an API commonly shows a variant's price (``API_PRICE_FIELDS``; the first non-empty one counts)."""


def api_price(variant: Mapping[str, object], fields: tuple[str, ...] | list[str] = DEFAULT_PRICE_FIELDS) -> object:
    """The variant's price as the API names it: the first of ``fields`` with a value (``None``: no price).

    >>> api_price({"sku": "S", "current_price": "9.90"}), api_price({"price": ""})
    ('9.90', None)
    """
    for name in fields:
        value = variant.get(name)
        if value not in (None, ""):
            return value
    return None


def variant_findings(slug: str, status: int, body: Mapping[str, object] | None, mapped_colors: set[str],
                     must_price: set[str] | None = None,
                     price_fields: tuple[str, ...] | list[str] = DEFAULT_PRICE_FIELDS) -> list[str]:
    """PST-05: the detail answers 200 with non-empty variants, priced where 1C prices the offer, mapped colors with a hex.

    ``must_price``: the SKUs the database says 1C prices (the gate reads the variants' 1C ids in the
    database, not in the API); ``None``: every variant must have a price. The price is read from
    the API under ``price_fields`` (``API_PRICE_FIELDS``), never a field only one API has.
    """
    if status != 200 or body is None:
        return [f"{slug}: HTTP {status}"]
    variants = body.get("variants") or []
    if not variants:
        return [f"{slug}: variants[] is empty"]
    out = []
    for v in cast(list[Mapping[str, object]], variants):  # the API's JSON (requests gives Any)
        needs = must_price is None or str(v.get("sku") or "") in must_price
        if needs and api_price(v, price_fields) is None:
            out.append(f"{slug}: variant {v.get('sku')} has no price (none of {', '.join(price_fields)})")
        color = str(v.get("color_name") or "").strip().lower()
        if color and color in mapped_colors and not HEX.match(str(v.get("color_hex") or "")):
            out.append(f"{slug}: variant {v.get('sku')} color {v.get('color_name')!r} is mapped but has no hex")
    return out


def priced_skus(conn: psycopg.Connection[TupleRow], slug: str, priced_offers: set[str], variants: str = "product_variants",
                products: str = "products") -> set[str] | None:
    """The SKUs of ``slug``'s variants whose 1C id the package prices, read from the database (read-only).

    ``None`` when the variants table has no ``onec_id`` column (then every variant must be priced).
    """
    from psycopg import sql

    has = conn.execute("SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = 'onec_id' "
                       "AND NOT attisdropped", (variants,)).fetchone()
    if not has:
        return None
    rows = conn.execute(sql.SQL("SELECT v.sku, v.onec_id FROM {} v JOIN {} p ON p.id = v.product_id "
                                "WHERE p.slug = %s").format(sql.Identifier(variants), sql.Identifier(products)),
                        (slug,)).fetchall()
    return {str(sku) for sku, onec in rows if str(onec or "") in priced_offers}


def read_json(path: Path) -> object:
    """JSON of a run artefact (``None`` when it does not exist)."""
    import json

    return json.loads(path.read_text()) if path.exists() else None


def latency_severity(p95_ms: float, p95_threshold_ms: float = 500.0, high_ms: float = 1000.0) -> Severity | None:
    """PST-08: below the p95 threshold passes; up to ``high_ms`` fails low; above fails high.

    >>> latency_severity(750).value, latency_severity(1200).value, latency_severity(120)
    ('low', 'high', None)
    """
    from gate.types import Severity
    from gate.verdict import tiered_severity

    return tiered_severity(p95_ms, [(p95_threshold_ms, Severity.LOW), (high_ms, Severity.HIGH)])


def error_severity(pct: float, high_pct: float = 1.0, critical_pct: float = 5.0) -> Severity | None:
    """PST-09 / MON-01: below 1 % passes; 1–5 % high; above 5 % critical.

    >>> error_severity(3).value, error_severity(8).value, error_severity(0.5)
    ('high', 'critical', None)
    """
    from gate.types import Severity
    from gate.verdict import tiered_severity

    return tiered_severity(pct, [(high_pct, Severity.HIGH), (critical_pct, Severity.CRITICAL)])
