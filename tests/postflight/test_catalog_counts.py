"""Step 8: Post-Migration Validation — counts equal the gate's own reading of the 1C files."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gate.report.attach import attach_json

if TYPE_CHECKING:
    from gate.db.target import TargetDb
    from gate.fixtures import MessageReporter
    from gate.onec.package import OnecPackage
    from gate.run import Run
    from gate.settings import Settings


@pytest.mark.check("PST-01", severity="critical")
def test_product_count_equals_the_1c_goods(onec_package: OnecPackage, target_db: TargetDb,
                                           check_message: MessageReporter) -> None:
    """print(f"Products: {Product.objects.count()}"): active products = goods not deleted in the 1C files.

    A deleted good may be kept as an inactive product (never resurrected); no product may come
    from outside the package (after a flush and a full import, every row is the package's).
    """
    active = target_db.count("products", "is_active")
    total = target_db.count("products")
    attach_json({"expected_from_1c": onec_package.counts(), "database": {"products_active": active,
                 "products_total": total}}, "counts: 1C files vs database")
    assert active == onec_package.expected_products, (
        f"{active} active products in the database, {onec_package.expected_products} expected from the 1C files")
    assert total <= onec_package.goods_in_package, (
        f"{total} products in the database but only {onec_package.goods_in_package} goods in the package")
    check_message(f"{active} active products = expected ({total} rows incl. inactive)")


@pytest.mark.check("PST-02", severity="critical")
def test_variant_count_equals_offers_plus_defaults(onec_package: OnecPackage, target_db: TargetDb,
                                                   check_message: MessageReporter) -> None:
    """ProductVariants = offers resolving to goods + one default variant per product without offers."""
    active, total = target_db.variant_counts()
    assert active == onec_package.expected_variants, (
        f"{active} active variants of active products, {onec_package.expected_variants} expected from the 1C files")
    assert total <= onec_package.variants_in_package, (
        f"{total} variants in the database but the package holds at most {onec_package.variants_in_package}")
    check_message(f"{active} active variants = expected ({total} rows incl. inactive)")


@pytest.mark.check("PST-03", severity="low")
def test_color_mappings_at_least_20(settings: Settings, target_db: TargetDb,
                                    check_message: MessageReporter) -> None:
    """ColorMappings >= 20."""
    colors = target_db.count(settings.color_table)
    assert colors >= settings.min_colors, f"{colors} color mappings < {settings.min_colors}"
    check_message(f"{colors} color mappings")


@pytest.mark.check("PST-10", severity="critical")
def test_no_pending_migrations(settings: Settings, run: Run, target_db: TargetDb,
                               check_message: MessageReporter) -> None:
    """showmigrations | grep "[ ]": empty (the release's plan against django_migrations; showmigrations
    itself when one is missing there or the plan is not known)."""
    from gate.migrations.plan import pending_now
    from gate.target_fixtures import release_plan

    pending, how = pending_now(settings, release_plan(settings, run), target_db.applied_migrations)
    assert not pending, f"pending migrations: {', '.join(pending)}"
    check_message(f"no pending migration ({how})")
