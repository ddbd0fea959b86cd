"""Step 8: Post-Migration Validation — prices and stock equal the gate's own reading of the 1C files."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from gate.onec.prices import EVIDENCE_FILE, compare_prices, compare_stock, variant_values
from gate.report.attach import attach_json

if TYPE_CHECKING:
    from pathlib import Path

    from gate.db.target import TargetDb
    from gate.fixtures import MessageReporter, SeverityReporter
    from gate.onec.package import OnecPackage
    from gate.onec.price_types import PriceTypeMap
    from gate.onec.prices import PriceReading, VariantRows
    from gate.settings import Settings


def _record(run_dir: Path, key: str, data: dict[str, object]) -> None:
    path = run_dir / EVIDENCE_FILE
    current = json.loads(path.read_text()) if path.exists() else {}
    current[key] = data
    path.write_text(json.dumps(current, ensure_ascii=False, indent=1, default=str))
    attach_json(data, f"{key}: 1C package vs database")


@pytest.fixture(scope="module")
def variants_in_db(target_db: TargetDb, price_types: PriceTypeMap) -> VariantRows:
    return variant_values(target_db.conn, price_types.columns)


@pytest.mark.check("PST-11", severity="critical")
def test_prices_equal_the_1c_package(onec_package: OnecPackage, onec_prices: PriceReading,
                                     price_types: PriceTypeMap, variants_in_db: VariantRows,
                                     settings: Settings, run_dir: Path, check_message: MessageReporter,
                                     effective_severity: SeverityReporter) -> None:
    """Per mapped price column: active variants with a price = the package's, sampled values equal (Decimal).

    The retail column is never empty where the package has retail prices; an unmapped price type
    carrying prices for most offers is a finding (high) named with its count.
    """
    found = compare_prices(onec_prices, onec_package, price_types, variants_in_db, settings.price_sample_size,
                           settings.api_sample_seed)
    _record(run_dir, "prices", found.as_dict())
    counts = ", ".join(f"{c} {n['database']}/{n['package']}" for c, n in found.columns.items())
    assert not found.findings, "; ".join(found.findings)
    assert not found.difference_count, (f"{found.difference_count} price(s) differ in a sample of "
                                        f"{found.compared}: " + "; ".join(found.differences[:5]))
    if found.high_findings:
        effective_severity("high")
        pytest.fail("; ".join(found.high_findings), pytrace=False)
    check_message(f"prices = package ({counts}); {found.compared} variants sampled, 0 differences; "
                  f"{found.orphans} orphan price(s) not placed" + (f", {found.not_asserted} not in the partial "
                                                                   "prices file" if found.not_asserted else ""))


@pytest.mark.check("PST-12", severity="high")
def test_stock_equals_the_1c_package(onec_package: OnecPackage, onec_prices: PriceReading,
                                     variants_in_db: VariantRows, settings: Settings, run_dir: Path,
                                     check_message: MessageReporter) -> None:
    """Per variant, stock = the rests files summed over warehouses (negative → 0, as the importer documents)."""
    found = compare_stock(onec_prices, onec_package, variants_in_db, settings.price_sample_size,
                          settings.api_sample_seed)
    _record(run_dir, "stock", found.as_dict())
    assert not found.findings, "; ".join(found.findings)
    assert not found.difference_count, (f"{found.difference_count} stock level(s) differ in a sample of "
                                        f"{found.compared}: " + "; ".join(found.differences[:5]))
    units = found.columns["units"]["package"]
    check_message(f"stock = package: {found.columns['stock_quantity']['package']} variants in stock, {units} units; "
                  f"{found.compared} sampled, 0 differences"
                  + (f"; {found.notes['multi_warehouse']} over several warehouses" if found.notes["multi_warehouse"]
                     else ""))
