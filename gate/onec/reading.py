"""The run's one reading of the 1C package: structure (ONE-01..04, IMP, PST-01/02…) and prices/stock
(ONE-04, PST-11/12) from ONE streaming pass, cached in ``RUN_DIR/onec_reading.pickle`` for every
later check session of the run.

The cache is a pickle of plain values (sets and dicts of strings, ``Decimal`` prices), written by
the gate into its own run directory and read back only there: at 1M SKUs it loads in seconds where
the JSON it replaces (160 + 560 MB) took minutes to write and read. It is compact because the
reading is: every id is one interned string shared by the package's sets and the prices' and
stock's dicts (pickle keeps a shared object once), and equal price entries are one shared tuple
(FORMAT 2; at 100k SKUs 11.4 MB instead of 66.8, the first reading's peak 88 MB instead of 528). It starts with a header,
``(FORMAT, key)``, read before the payload: the key names the package (:func:`package_key`), so a
package that changed between sessions is read again, and so is a cache of another format or a torn
one.

>>> pkg, prices = read_onec_cached(Path("backend/sample_data/commerceml"), run_dir)   # doctest: +SKIP
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import pickle
from dataclasses import asdict
from pathlib import Path

from gate.onec.package import OnecPackage, XmlFile, read_package
from gate.onec.prices import PriceReading

CACHE_FILE = "onec_reading.pickle"
FORMAT = 2
"""Bumped whenever what the payload holds changes: an older cache is then read again, never trusted."""
DIGEST_BYTES = 64 * 1024
"""Of each file, this much of its head and of its tail goes into :func:`package_key`."""
_PACKAGE_SETS = ("products", "deleted_products", "offers", "deleted_offers", "groups", "price_types", "price_refs",
                 "priced_offers")
_READING_FIELDS = ("type_names", "prices", "stock", "warehouses", "uses", "price_entries", "prices_delta",
                   "rests_delta")


def read_onec(root: Path) -> tuple[OnecPackage, PriceReading]:
    """Stream every XML file under ``root`` once: the package's facts and its prices and stock."""
    reading = PriceReading(str(root))
    return read_package(root, reading), reading


def package_key(root: Path) -> str:
    """Names the package under ``root``: its path, and every file's name, size, mtime and a sha256 of its
    first and last :data:`DIGEST_BYTES` (an edit that keeps size and mtime still changes the key when it
    touches either end; ~10 MB read for a 3 GB package of 165 files)."""
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        st = path.stat()
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            digest.update(fh.read(DIGEST_BYTES))
            if st.st_size > 2 * DIGEST_BYTES:
                fh.seek(st.st_size - DIGEST_BYTES)
                digest.update(fh.read(DIGEST_BYTES))
            elif st.st_size > DIGEST_BYTES:
                digest.update(fh.read())
        files.append((str(path.relative_to(root)), st.st_size, st.st_mtime_ns, digest.hexdigest()))
    return hashlib.sha256(json.dumps([str(root.resolve()), files]).encode()).hexdigest()


def read_onec_cached(root: Path, cache_dir: Path) -> tuple[OnecPackage, PriceReading]:
    """:func:`read_onec` once per run: a later session (or xdist worker) of the run loads
    ``cache_dir/onec_reading.pickle`` while :func:`package_key` is unchanged (a lock serialises the first read)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache = cache_dir / CACHE_FILE
    key = package_key(root) if root.is_dir() else ""
    with (cache_dir / "onec_reading.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cached = _load(cache, key) if key and cache.exists() else None
        if cached is not None:
            return cached
        pkg, reading = read_onec(root)
        if key:
            tmp = cache.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                pickle.dump((FORMAT, key), fh, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump(_payload(pkg, reading), fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(cache)
        return pkg, reading


def _payload(pkg: OnecPackage, reading: PriceReading) -> dict[str, object]:
    return {"root": pkg.root, "files": [asdict(f) for f in pkg.files], "duplicate_ids": pkg.duplicate_ids,
            **{n: getattr(pkg, n) for n in _PACKAGE_SETS},
            "reading": {"root": reading.root, **{n: getattr(reading, n) for n in _READING_FIELDS}}}


def _load(cache: Path, key: str) -> tuple[OnecPackage, PriceReading] | None:
    """The cached readings, or None when the cache is torn, of another format or of another package."""
    try:
        with cache.open("rb") as fh:
            if pickle.load(fh) != (FORMAT, key):
                return None
            data = pickle.load(fh)
        pkg = OnecPackage(data["root"], [XmlFile(**f) for f in data["files"]], duplicate_ids=data["duplicate_ids"])
        for name in _PACKAGE_SETS:
            setattr(pkg, name, data[name])
        held = data["reading"]
        reading = PriceReading(held["root"], **{n: held[n] for n in _READING_FIELDS})
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError, KeyError, TypeError,
            ValueError):
        return None
    return pkg, reading
