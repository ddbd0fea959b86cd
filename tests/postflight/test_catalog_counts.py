"""Step 8: Post-Migration Validation — counts equal the gate's own reading of the 1C files."""

from __future__ import annotations

import pytest

from gate.steps.fixtures import count


@pytest.mark.check("PST-01", severity="critical")
def test_product_count_equals_the_1c_goods(onec_package, target_db, check_message):
    """print(f"Products: {Product.objects.count()}") = goods not deleted in the 1C files."""
    products = count(target_db, "products")
    assert products == onec_package.expected_products, (
        f"{products} products in the database, {onec_package.expected_products} expected from the 1C files")
    check_message(f"{products} products = expected")


@pytest.mark.check("PST-02", severity="critical")
def test_variant_count_equals_offers_plus_defaults(onec_package, target_db, check_message):
    """ProductVariants = offers resolving to goods + one default variant per product without offers."""
    variants = count(target_db, "product_variants")
    assert variants == onec_package.expected_variants, (
        f"{variants} variants in the database, {onec_package.expected_variants} expected from the 1C files")
    check_message(f"{variants} variants = expected")


@pytest.mark.check("PST-03", severity="low")
def test_color_mappings_at_least_20(settings, target_db, check_message):
    """ColorMappings >= 20."""
    colors = count(target_db, settings.color_table)
    assert colors >= settings.min_colors, f"{colors} color mappings < {settings.min_colors}"
    check_message(f"{colors} color mappings")


@pytest.mark.check("PST-10", severity="critical")
def test_no_pending_migrations(settings, check_message):
    """showmigrations | grep "[ ]": empty."""
    from gate.migrations.plan import pending_migrations

    pending = pending_migrations(settings)
    assert not pending, f"pending migrations: {', '.join(pending)}"
    check_message("no pending migration")
