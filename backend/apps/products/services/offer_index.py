"""The offer ids of a package, kept in compact arrays instead of Python sets of ``str``.

At 1M SKUs the validator's ``set[str]`` of offer ids (73-character "product#variant" ids) took
~170 MB, and the end-of-package counts built three more sets of the same size. Here each id is
a 64-bit hash in an open-addressing table (``array('Q')``) with one byte of state and the index of
its product (``array('I')``): 13 bytes a slot, at most half the slots used, so ~26 bytes an offer.

The hash is Python's ``hash(str)`` (64-bit SipHash, the same in the forked reader, which shares the
parent's hash seed). Two different ids with the same hash would be taken for one: at 1M offers the
odds are about 1 in 10^7 per package, and the effect a "duplicate" warning and a count one short.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

OFFER, DELETED, GOOD_VARIANT = 1, 2, 4  # state bits: in an offers file, marked deleted (last one wins), a 2.04 Товар "p#v"
_MASK = (1 << 64) - 1


class OfferIndex:
    """Offer id → (state bits, product); ``products`` are kept once each, by index."""

    def __init__(self, capacity: int = 1 << 12) -> None:
        self._alloc(capacity)
        self.product_names: list[str] = []
        self._product_index: dict[str, int] = {}

    def _alloc(self, capacity: int) -> None:
        self._cap = capacity
        self._keys = array("Q", bytes(8 * capacity))
        self._state = bytearray(capacity)
        self._product = array("I", bytes(4 * capacity))
        self._used = 0

    def __len__(self) -> int:
        return self._used

    @staticmethod
    def _key(offer_id: str) -> int:
        return (hash(offer_id) & _MASK) or 1  # 0 marks an empty slot

    def _find(self, key: int) -> int:
        """The slot holding ``key``, or the empty slot where it would go."""
        keys, mask = self._keys, self._cap - 1
        i = key & mask
        while True:
            k = keys[i]
            if k == key or k == 0:
                return i
            i = (i + 1) & mask

    def state(self, offer_id: str) -> int:
        """The id's state bits (0: never seen)."""
        i = self._find(self._key(offer_id))
        return self._state[i]

    def update(self, offer_id: str, product_id: str, set_bits: int, clear_bits: int = 0) -> int:
        """Set then clear state bits of ``offer_id`` (of ``product_id``); returns the previous state."""
        return self._update(self._key(offer_id), product_id, set_bits, clear_bits)

    def _update(self, key: int, product_id: str, set_bits: int, clear_bits: int) -> int:
        i = self._find(key)
        before = self._state[i]
        if self._keys[i] == 0:
            if 2 * (self._used + 1) > self._cap:
                self._grow()
                i = self._find(key)
            self._keys[i] = key
            self._product[i] = self._product_of(product_id)
            self._used += 1
        self._state[i] = (before | set_bits) & ~clear_bits
        return before

    def _product_of(self, product_id: str) -> int:
        index = self._product_index.get(product_id)
        if index is None:
            index = self._product_index[product_id] = len(self.product_names)
            self.product_names.append(product_id)
        return index

    def _grow(self) -> None:
        keys, states, products = self._keys, self._state, self._product
        used = self._used
        self._alloc(self._cap * 2)
        for key, state, product in zip(keys, states, products, strict=True):
            if key:
                i = self._find(key)
                self._keys[i], self._state[i], self._product[i] = key, state, product
        self._used = used

    def entries(self) -> Iterator[tuple[int, str]]:
        """(state bits, product id) of every id seen."""
        names = self.product_names
        for state, product in zip(self._state, self._product, strict=True):
            if state:
                yield state, names[product]

    def merge(self, other: OfferIndex, bits: int) -> None:
        """Fold ``other``'s ``bits`` (a union of the sets they stand for) into this index."""
        for key, state, product in zip(other._keys, other._state, other._product, strict=True):
            if key and state & bits:
                self._update(key, other.product_names[product], state & bits, 0)
