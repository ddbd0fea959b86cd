"""generate_commerceml: a deterministic, realistic CommerceML 3.1 split package."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.products.services.mapping import normalize_key
from apps.products.services.sample_catalog import BASIC_COLORS, SampleCatalog

SAMPLE = Path(__file__).resolve().parents[3] / "sample_data" / "commerceml"


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*.xml"))}


def generate(out: Path, n: int = 15, k: int = 2, seed: int = 3) -> Path:
    call_command("generate_commerceml", "--products", str(n), "--variants-per-product", str(k), "--seed", str(seed), "--out", str(out))
    return out


def test_same_arguments_same_bytes(tmp_path: Path) -> None:
    assert digest(generate(tmp_path / "a")) == digest(generate(tmp_path / "b"))
    assert digest(generate(tmp_path / "c", seed=4)) != digest(tmp_path / "a")


def test_committed_rehearsal_package_is_the_documented_command(tmp_path: Path) -> None:
    """backend/sample_data/README.md: --products 200 --variants-per-product 3 --seed 42."""
    assert digest(generate(tmp_path / "s", 200, 3, 42)) == digest(SAMPLE)
    assert sum(p.stat().st_size for p in SAMPLE.rglob("*.xml")) < 2_500_000


def test_layout_encoding_namespace_and_version(tmp_path: Path) -> None:
    out = generate(tmp_path / "p")
    folders = {p.parent.name for p in out.rglob("*.xml")}
    assert folders == {"groups", "propertiesGoods", "propertiesOffers", "priceLists", "storages", "goods", "offers", "prices", "rests"}
    for path in out.rglob("*.xml"):
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        head = data[:400].decode("utf-8-sig", errors="ignore")
        assert 'xmlns="urn:1C.ru:commerceml_3"' in head and 'ВерсияСхемы="3.1"' in head
        assert path.name.startswith(f"{path.parent.name}___")
        assert data.rstrip().endswith("</КоммерческаяИнформация>".encode())


def test_catalog_is_realistic() -> None:
    catalog = SampleCatalog(400, 3, 42)
    products = list(catalog.iter_products())
    variants = [v for p in products for v in p.variants]
    basic = {normalize_key(n) for n, _ in BASIC_COLORS}
    assert any(normalize_key(v.color) in basic for v in variants) and any(normalize_key(v.color) not in basic for v in variants)
    assert {v.encoding for v in variants} == {"properties", "characteristics", "name"}
    assert any(not p.variants for p in products) and any(p.deleted for p in products) and any(v.deleted for v in variants)
    assert any(g.parent_id and next(x for x in catalog.groups if x.onec_id == g.parent_id).parent_id for g in catalog.groups)
    assert len(catalog.price_types) == 6 and len(catalog.warehouses) == 2
    assert len({v.sku for v in variants}) == len(variants) and len({v.offer_id for v in variants}) == len(variants)
    assert all(any("\u0400" <= ch <= "\u04ff" for ch in p.name) for p in products)


def test_product_i_does_not_depend_on_n() -> None:
    small, large = SampleCatalog(5, 3, 9), SampleCatalog(500, 3, 9)
    for i in range(5):
        a, b = small.product(i), large.product(i)
        assert (a.guid, a.name, [v.offer_id for v in a.variants]) == (b.guid, b.name, [v.offer_id for v in b.variants])


def test_refuses_a_folder_that_is_not_a_generated_package(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(CommandError, match="not empty"):
        generate(tmp_path)
    assert (tmp_path / "precious.txt").exists()
