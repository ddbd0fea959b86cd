"""The 1C validator's offer ids at 1M SKUs: ``set[str]`` (before) against ``OfferIndex`` (now).

Both sides take the same N "product#variant" ids (73 characters, as ``generate_commerceml``
writes them, 5 per product), record each once and look each up once, then compute the counts
the validator's ``finish`` needs. Memory is what ``tracemalloc`` sees allocated at the peak.

Usage: ``.venv/bin/python bench/bench_offer_ids.py [--offers 1000000]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "backend"))

from apps.products.services.offer_index import OFFER, OfferIndex  # noqa: E402


class Package:
    """The ids as the parser hands them over: a new ``str`` for each record (kept only if stored)."""

    def __init__(self, n: int) -> None:
        self.products = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"p{i}")) for i in range(n // 5 + 1)]
        self.variants = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"v{i}")) for i in range(n)]

    def __iter__(self) -> Iterator[str]:
        for i, variant in enumerate(self.variants):
            yield f"{self.products[i // 5]}#{variant}"


def with_sets(offer_ids: Iterable[str]) -> int:
    seen: set[str] = set()
    for oid in offer_ids:
        if oid not in seen:
            seen.add(oid)
    products = {o.split("#", 1)[0].strip() for o in seen}
    return len({o for o in seen | set() if o.split("#", 1)[0].strip() in products})


def with_index(offer_ids: Iterable[str]) -> int:
    index = OfferIndex()
    for oid in offer_ids:
        if not index.state(oid) & OFFER:
            index.update(oid, oid.split("#", 1)[0].strip(), OFFER)
    return sum(1 for _state, _product in index.entries())


def measure(fn, offer_ids: Iterable[str]) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    started = time.perf_counter()
    count = fn(offer_ids)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak / 2**20, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=1_000_000)
    args = parser.parse_args()
    package = Package(args.offers)
    old_s, old_mb, old_n = measure(with_sets, package)
    new_s, new_mb, new_n = measure(with_index, package)
    assert old_n == new_n == args.offers, (old_n, new_n)
    print("| offer ids | seconds | peak MB allocated |\n|---|---:|---:|")
    print(f"| set[str] (before) | {old_s:.2f} | {old_mb:.0f} |")
    print(f"| OfferIndex (now) | {new_s:.2f} | {new_mb:.0f} |")
    print(f"| ratio now / before | {new_s / old_s:.2f} | {new_mb / old_mb:.2f} |")
    one, five, fifteen = os.getloadavg()
    print(f"\n{args.offers:,} offers; load average {one:.1f} / {five:.1f} / {fifteen:.1f} ({os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
