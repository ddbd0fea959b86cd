"""seed_legacy_catalog on the v13.3 schema, and its consistency with generate_commerceml."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.products.services.commerceml_writer import write_package
from apps.products.services.parser import XMLDataParser
from apps.products.services.sample_catalog import SampleCatalog
from apps.products.services.xml_reader import GoodRec, OfferRec

V133_TARGETS = [("products", "0001_initial"), ("users", "0001_initial"), ("orders", "0001_initial"), ("cart", "0001_initial")]
V134 = ("products", "0004_remove_product_per_sku_fields")
N, K, SEED = 60, 3, 5


def rows(sql: str) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def fingerprint() -> dict[str, list[tuple]]:
    tables = ("categories", "brands", "products", "users", "orders", "order_items", "carts", "cart_items", "favorites")
    return {t: rows(f"SELECT * FROM {t} ORDER BY id") for t in tables}


def at_v133(migrator):
    migrator.apply_initial_migration(V133_TARGETS)
    return migrator.apply_tested_migration(V133_TARGETS)


def package_ids(tmp_path: Path) -> tuple[set[str], dict[str, str]]:
    """(v13.3 onec_ids expected from the 1C files, offer id -> article) read back from the package."""
    catalog = SampleCatalog(N, K, SEED)
    write_package(catalog, tmp_path)
    parser = XMLDataParser(tmp_path)
    report, validator = parser.preflight()
    goods: set[str] = set()
    offers: dict[str, str] = {}

    def sink(rec, _pf) -> None:
        if isinstance(rec, GoodRec):
            goods.add(rec.id)
        elif isinstance(rec, OfferRec) and rec.has_offer_body:
            offers[rec.id] = rec.article or ""

    parser.stream(report, validator, sink=sink)
    with_offers = {o.split("#")[0] for o in offers}
    return set(offers) | (goods - with_offers), offers


@pytest.mark.django_db
def test_refuses_a_v134_database() -> None:
    with pytest.raises(CommandError, match="0001_initial"):
        call_command("seed_legacy_catalog", "--products", "5", "--seed", "1")


@pytest.mark.django_db(transaction=True)
def test_seeds_v133_deterministically_and_consistently_with_the_1c_package(migrator, tmp_path: Path) -> None:
    at_v133(migrator)
    call_command("seed_legacy_catalog", "--products", str(N), "--seed", str(SEED), "--variants-per-product", str(K))
    first = fingerprint()
    expected = SampleCatalog(N, K, SEED).expected_counts()

    assert len(first["products"]) == expected["variants"]  # one row per SKU (+ goods without offers)
    assert len(first["categories"]) == expected["groups"]
    assert all(first[t] for t in ("users", "orders", "order_items", "carts", "cart_items", "favorites"))

    # same 1C ids and SKUs as the CommerceML package generated with the same N/K/seed
    onec_ids, offers = package_ids(tmp_path)
    seeded = rows("SELECT onec_id, parent_onec_id, sku FROM products")
    assert {r[0] for r in seeded} == onec_ids
    assert all(r[1] == r[0].split("#")[0] for r in seeded)
    assert {r[2] for r in seeded if "#" in r[0]} == set(offers.values())
    # protected rows reference real SKUs by 1C id with a snapshot, no FK
    assert {r[0] for r in rows("SELECT onec_id FROM order_items UNION SELECT onec_id FROM cart_items")} <= onec_ids
    assert not rows("SELECT 1 FROM order_items i JOIN products p ON p.onec_id = i.onec_id WHERE p.sku <> i.sku")

    with pytest.raises(CommandError, match="not empty"):
        call_command("seed_legacy_catalog", "--products", str(N), "--seed", str(SEED))
    with pytest.raises(CommandError, match="v13.4"):  # the importer writes the v13.4 schema only
        call_command("import_products_from_1c", "--full", "--data-dir", str(tmp_path))
    assert fingerprint() == first
    call_command("seed_legacy_catalog", "--products", str(N), "--seed", str(SEED), "--variants-per-product", str(K), "--reset")
    assert fingerprint() == first  # deterministic, timestamps included


@pytest.mark.django_db(transaction=True)
def test_orders_resolve_after_migrating_and_importing_the_same_catalog(migrator, tmp_path: Path) -> None:
    """The story end to end: v13.3 seed → migrate → flush → import the 1C package → every order
    line's 1C id and SKU is a variant again, and the protected tables did not change."""
    at_v133(migrator)
    call_command("seed_legacy_catalog", "--products", str(N), "--seed", str(SEED), "--variants-per-product", str(K))
    protected = {t: rows(f"SELECT * FROM {t} ORDER BY id") for t in ("orders", "order_items", "cart_items", "favorites")}
    migrator.apply_tested_migration(V134)
    with connection.cursor() as cur:  # the runbook's flush (flush_products has its own tests)
        cur.execute("DELETE FROM product_variants")
        cur.execute("DELETE FROM products")
    write_package(SampleCatalog(N, K, SEED), tmp_path)

    call_command("import_products_from_1c", "--full", "--data-dir", str(tmp_path))

    assert {t: rows(f"SELECT * FROM {t} ORDER BY id") for t in protected} == protected
    assert not rows(
        "SELECT i.onec_id FROM order_items i LEFT JOIN product_variants v ON v.onec_id = i.onec_id AND v.sku = i.sku "
        "WHERE v.id IS NULL"
    )
    assert not rows(
        "SELECT f.product_onec_id FROM favorites f LEFT JOIN products p ON p.onec_id = f.product_onec_id WHERE p.id IS NULL"
    )
