"""The compact offer index the validator keeps instead of sets of offer ids."""

from __future__ import annotations

import tracemalloc

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


def test_states_survive_growth_and_merge_is_a_union() -> None:
    index = OfferIndex(capacity=8)
    for n in range(1000):  # grows from 8 slots, every id keeps its state and product
        assert index.update(f"p{n % 7}#{n}", f"p{n % 7}", OFFER | (DELETED if n % 3 == 0 else 0)) == 0
    assert len(index) == 1000
    assert index.update("p1#1", "p1", OFFER) == OFFER  # seen before: a duplicate
    assert index.update("p3#3", "p3", OFFER, DELETED) == OFFER | DELETED  # the last one wins
    assert index.state("p3#3") == OFFER
    assert index.state("nowhere") == 0
    products = index.products
    assert len(products) == 7 and {product for _state, product in index.entries()} == set(range(7))
    assert [products.find(f"p{n}") for n in range(7)] == list(range(7)) and products.find("p7") == -1

    other = OfferIndex()
    other.update("p3#3", "p3", OFFER | DELETED)
    other.update("new#1", "new", OFFER)
    other.update("p9#9", "p9", GOOD_VARIANT)  # not one of the merged bits: left out
    index.merge(other, OFFER | DELETED)
    assert index.state("p3#3") == OFFER | DELETED and index.state("new#1") == OFFER and index.state("p9#9") == 0
    assert len(index) == 1001
    assert index.products.find("new") == 7 and index.products.find("p9") == -1  # only merged offers bring products


def test_product_index_keeps_first_place_and_last_deleted_flag() -> None:
    products = ProductIndex(capacity=8)
    for n in range(500):  # grows from 8 slots
        assert products.set_first(f"p{n}", f"goods/goods_{n % 3}.xml", n + 1) is None
        products.update(f"p{n}", GOOD_DELETED if n % 2 else 0)
    assert products.set_first("p7", "goods/later.xml", 999) == ("goods/goods_1.xml", 8)  # a duplicate: the first place
    products.update("p7", 0, GOOD_DELETED)  # the last one wins
    assert products.state("p7") == GOOD and products.state("nowhere") == 0
    assert not products.mark_if("orphan", WITH_OFFERS, GOOD) and products.find("orphan") == -1
    assert products.mark_if("p2", WITH_OFFERS, GOOD) and products.state("p2") == GOOD | WITH_OFFERS
    products.update("orphan", 0)  # an offer's product that is no good
    assert products.count(GOOD) == 500 and products.count(GOOD, GOOD_DELETED) == 251
    assert products.count(GOOD, WITH_OFFERS) == 499 and len(products) == 501

    other = ProductIndex()
    other.update("p3", WITH_OFFERS | GOOD)
    other.update("new", WITH_OFFERS)
    products.merge(other, WITH_OFFERS)
    assert products.state("p3") & WITH_OFFERS and products.state("new") == WITH_OFFERS


def test_memory_per_product_and_offer_is_bounded() -> None:
    """What the validator keeps per product and per offer stays a few dozen bytes: at 1M SKUs
    (200k products) the dicts and sets of ids this replaced took ~570 bytes a product."""
    n_products = 20_000
    ids = [f"{n:08d}-aaaa-bbbb-cccc-{n:012d}" for n in range(n_products)]
    offer_ids = [f"{p}#{n:08d}-dddd-eeee-ffff-{v:012d}" for n, p in enumerate(ids) for v in range(5)]
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    products = ProductIndex()
    offers = OfferIndex(products=products)
    for n, product_id in enumerate(ids):
        products.set_first(product_id, "goods/goods.xml", n)
    for offer_id in offer_ids:
        offers.update(offer_id, offer_id.split("#", 1)[0], OFFER)
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    per_offer = held / len(offer_ids)  # the offers' table and, per 5 offers, one product
    assert len(products) == n_products and len(offers) == len(offer_ids)
    assert per_offer < 40, f"{per_offer:.0f} bytes an offer"  # 31 measured; 42 with the hashes in the table, > 200 with str ids in dicts
