"""The compact offer index the validator keeps instead of sets of offer ids."""

from __future__ import annotations

from apps.products.services.offer_index import DELETED, GOOD_VARIANT, OFFER, OfferIndex


def test_states_survive_growth_and_merge_is_a_union() -> None:
    index = OfferIndex(capacity=8)
    for n in range(1000):  # grows from 8 slots, every id keeps its state and product
        assert index.update(f"p{n % 7}#{n}", f"p{n % 7}", OFFER | (DELETED if n % 3 == 0 else 0)) == 0
    assert len(index) == 1000
    assert index.update("p1#1", "p1", OFFER) == OFFER  # seen before: a duplicate
    assert index.update("p3#3", "p3", OFFER, DELETED) == OFFER | DELETED  # the last one wins
    assert index.state("p3#3") == OFFER
    assert index.state("nowhere") == 0
    assert sorted(set(product for _state, product in index.entries())) == [f"p{n}" for n in range(7)]

    other = OfferIndex()
    other.update("p3#3", "p3", OFFER | DELETED)
    other.update("new#1", "new", OFFER)
    other.update("p9#9", "p9", GOOD_VARIANT)  # not one of the merged bits: left out
    index.merge(other, OFFER | DELETED)
    assert index.state("p3#3") == OFFER | DELETED and index.state("new#1") == OFFER and index.state("p9#9") == 0
    assert len(index) == 1001
