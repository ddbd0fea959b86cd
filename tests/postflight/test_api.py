"""Step 8's curl lines over real HTTP: the list count, sampled details with variants, categories."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gate.window.facts import priced_skus, variant_findings

if TYPE_CHECKING:
    from gate.db.target import TargetDb
    from gate.fixtures import MessageReporter
    from gate.http import ApiClient
    from gate.onec.package import OnecPackage
    from gate.settings import Settings


@pytest.mark.check("PST-04", severity="critical")
def test_product_list_count_equals_active_products(api: ApiClient, target_db: TargetDb,
                                                   check_message: MessageReporter) -> None:
    """curl /api/products/ | jq '.count' = active products > 0."""
    response = api.get("/products/")
    assert response.status_code == 200, f"/products/ answered HTTP {response.status_code}"
    api_count = response.json()["count"]
    active = target_db.count("products", "is_active")
    assert api_count == active, f"/products/ count {api_count} ≠ {active} active products"
    assert api_count > 0, "/products/ count is 0"
    check_message(f"/products/ count {api_count} = active products")


@pytest.mark.check("PST-05", severity="critical")
def test_sampled_product_details_have_variants(api: ApiClient, target_db: TargetDb, settings: Settings,
                                               onec_package: OnecPackage,
                                               check_message: MessageReporter) -> None:
    """curl /api/products/<slug>/ | jq '.variants | length' > 0, priced where 1C prices them, mapped colors with a hex."""
    slugs = target_db.sample_slugs(settings.api_sample_seed, settings.api_sample_size)
    assert slugs, "no active product to sample"
    mapped = target_db.color_names(settings.color_table)
    findings = []
    for slug, response in zip(slugs, api.get_many([f"/products/{slug}/" for slug in slugs]), strict=True):
        body = response.json() if response.status_code == 200 else None
        must_price = priced_skus(target_db.conn, slug, onec_package.priced_offers)
        findings += variant_findings(slug, response.status_code, body, mapped, must_price, settings.api_price_fields)
    assert not findings, "; ".join(findings[:10])
    check_message(f"{len(slugs)} details sampled (seed {settings.api_sample_seed}, incl. the most variants)")


@pytest.mark.check("PST-06", severity="critical")
def test_category_count_equals_the_1c_groups(api: ApiClient, onec_package: OnecPackage,
                                             check_message: MessageReporter) -> None:
    """curl /api/categories/ | jq '.count' = groups in the 1C classifier."""
    response = api.get("/categories/")
    assert response.status_code == 200, f"/categories/ answered HTTP {response.status_code}"
    got = response.json()["count"]
    assert got == onec_package.expected_categories, (
        f"/categories/ count {got} ≠ {onec_package.expected_categories} groups in the 1C files")
    check_message(f"/categories/ count {got} = expected")
