"""The offer and product ids of a package, kept in compact arrays instead of Python sets and dicts of ``str``.

At 1M SKUs the validator's ``set[str]`` of offer ids (73-character "product#variant" ids) took
~170 MB, and the end-of-package counts built three more sets of the same size. Here each id is
a 64-bit hash (``array('Q')``) with one byte of state and the ordinal of its product (``array('I')``),
found through an open-addressing table of ``uint32`` ordinals at most half full: ~21–29 bytes an
offer (the table once held the hashes themselves, 13 bytes a slot: ~26–39 MB at 1M offers, where
the table's growth also held the old and the new table at once).

The products (200k at 1M SKUs) were four more dicts and sets keyed by their 36-character ids
(first place of each good, its deleted flag, "has offers", the offer index's product names):
~570 bytes a product (measured, 100k against 400k SKUs), ~110 MB at 1M. ``ProductIndex`` keeps
each product as an ordinal with its 64-bit hash, state bits and first place (file index, line):
~30 bytes a product.

The hash is Python's ``hash(str)`` (64-bit SipHash, the same in the forked reader, which shares the
parent's hash seed). Two different ids with the same hash would be taken for one: at 1M offers the
odds are about 1 in 10^7 per package, and the effect a "duplicate" warning and a count one short.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

OFFER, DELETED, GOOD_VARIANT = 1, 2, 4  # state bits: in an offers file, marked deleted (last one wins), a 2.04 Товар "p#v"
#: product state bits: a good of the package (its first place is kept), its last occurrence marked
#: deleted, it has offers (an offer, or a 2.04 Товар "p#v")
GOOD, GOOD_DELETED, WITH_OFFERS = 1, 2, 4
_MASK = (1 << 64) - 1


def _key(text: str) -> int:
    return (hash(text) & _MASK) or 1  # 0 marks an empty slot


class _Ordinals:
    """64-bit key → ordinal (in order of first sight) in an open-addressing table of ``uint32``
    (at most half full), with a state byte per ordinal; subclasses keep more arrays by ordinal."""

    def __init__(self, capacity: int) -> None:
        self.keys = array("Q")
        self.states = bytearray()
        self._alloc(capacity)

    def _new_row(self) -> None:
        """Append the subclass's own per-ordinal values for a new key."""

    def _alloc(self, capacity: int) -> None:
        self._cap = capacity
        self._slots = array("I", bytes(4 * capacity))  # ordinal + 1; 0: empty
        keys, mask, slots = self.keys, capacity - 1, self._slots
        for ordinal, key in enumerate(keys):
            i = key & mask
            while slots[i]:
                i = (i + 1) & mask
            slots[i] = ordinal + 1

    def __len__(self) -> int:
        return len(self.keys)

    def _find_key(self, key: int) -> int:
        """The ordinal of ``key``, or -1."""
        slots, keys, mask = self._slots, self.keys, self._cap - 1
        i = key & mask
        while True:
            o = slots[i]
            if o == 0:
                return -1
            if keys[o - 1] == key:
                return o - 1
            i = (i + 1) & mask

    def _ordinal_of_key(self, key: int) -> int:
        """The ordinal of ``key``, added when new."""
        slots, keys, mask = self._slots, self.keys, self._cap - 1
        i = key & mask
        while True:
            o = slots[i]
            if o == 0:
                break
            if keys[o - 1] == key:
                return o - 1
            i = (i + 1) & mask
        ordinal = len(keys)
        keys.append(key)
        self.states.append(0)
        self._new_row()
        if 2 * (ordinal + 1) > self._cap:
            self._alloc(self._cap * 2)
        else:
            slots[i] = ordinal + 1
        return ordinal



class ProductIndex(_Ordinals):
    """Product id → ordinal (in order of first sight), with state bits and the first place of its good."""

    def __init__(self, capacity: int = 1 << 12) -> None:
        self._file = array("I")
        self._line = array("I")
        self.files: list[str] = []
        self._file_index: dict[str, int] = {}
        super().__init__(capacity)

    def _new_row(self) -> None:
        self._file.append(0)
        self._line.append(0)

    def ordinal(self, product_id: str) -> int:
        """The product's ordinal, added when new."""
        return self._ordinal_of_key(_key(product_id))

    def find(self, product_id: str) -> int:
        """The product's ordinal, or -1 when never seen."""
        return self._find_key(_key(product_id))

    def state(self, product_id: str) -> int:
        """The product's state bits (0: never seen)."""
        o = self._find_key(_key(product_id))
        return self.states[o] if o >= 0 else 0

    def update(self, product_id: str, set_bits: int, clear_bits: int = 0) -> int:
        """Set then clear state bits of ``product_id`` (added when new); returns the previous state."""
        o = self._ordinal_of_key(_key(product_id))
        before = self.states[o]
        self.states[o] = (before | set_bits) & ~clear_bits
        return before

    def mark_if(self, product_id: str, set_bits: int, if_bits: int) -> bool:
        """Set ``set_bits`` when the product has all of ``if_bits``; was it set?"""
        o = self._find_key(_key(product_id))
        if o < 0 or self.states[o] & if_bits != if_bits:
            return False
        self.states[o] |= set_bits
        return True

    def set_first(self, product_id: str, file: str, line: int) -> tuple[str, int] | None:
        """Record the product as a good first seen at ``file:line`` unless it was one already;
        returns the earlier first place (None: this is the first)."""
        o = self._ordinal_of_key(_key(product_id))
        if self.states[o] & GOOD:
            return self.files[self._file[o]], self._line[o]
        index = self._file_index.get(file)
        if index is None:
            index = self._file_index[file] = len(self.files)
            self.files.append(file)
        self.states[o] |= GOOD
        self._file[o], self._line[o] = index, max(0, min(line, 2**32 - 1))
        return None

    def count(self, all_bits: int, none_bits: int = 0) -> int:
        """Products with every bit of ``all_bits`` and none of ``none_bits``."""
        mask = all_bits | none_bits
        return sum(1 for s in self.states if s & mask == all_bits)

    def merge(self, other: ProductIndex, bits: int) -> None:
        """Fold ``other``'s ``bits`` into this index (products added when new)."""
        for key, state in zip(other.keys, other.states, strict=True):
            if state & bits:
                o = self._ordinal_of_key(key)
                self.states[o] |= state & bits


class OfferIndex(_Ordinals):
    """Offer id → (state bits, product); the products are ordinals of ``products`` (a ``ProductIndex``)."""

    def __init__(self, capacity: int = 1 << 12, products: ProductIndex | None = None) -> None:
        self._product = array("I")
        super().__init__(capacity)
        self.products = products if products is not None else ProductIndex()

    def _new_row(self) -> None:
        self._product.append(0)

    def state(self, offer_id: str) -> int:
        """The id's state bits (0: never seen)."""
        o = self._find_key(_key(offer_id))
        return self.states[o] if o >= 0 else 0

    def update(self, offer_id: str, product_id: str, set_bits: int, clear_bits: int = 0) -> int:
        """Set then clear state bits of ``offer_id`` (of ``product_id``); returns the previous state."""
        return self._update(_key(offer_id), product_id, set_bits, clear_bits)

    def _update(self, key: int, product: str | int, set_bits: int, clear_bits: int) -> int:
        """``product``: the product id, or its ordinal in ``self.products``."""
        new = len(self.keys)
        o = self._ordinal_of_key(key)
        if o == new:
            self._product[o] = product if isinstance(product, int) else self.products.ordinal(product)
        before = self.states[o]
        self.states[o] = (before | set_bits) & ~clear_bits
        return before

    def entries(self) -> Iterator[tuple[int, int]]:
        """(state bits, product ordinal in ``self.products``) of every id seen."""
        for state, product in zip(self.states, self._product, strict=True):
            if state:
                yield state, product

    def merge(self, other: OfferIndex, bits: int) -> None:
        """Fold ``other``'s ``bits`` (a union of the sets they stand for) into this index."""
        for key, state, product in zip(other.keys, other.states, other._product, strict=True):
            if state & bits:
                ordinal = self.products._ordinal_of_key(other.products.keys[product])
                self._update(key, ordinal, state & bits, 0)
