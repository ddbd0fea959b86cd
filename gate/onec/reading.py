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
import os
import pickle
import subprocess
import sys
import threading
from dataclasses import asdict
from pathlib import Path

from gate.onec.package import ID_SETS, OnecPackage, XmlFile, read_file, read_package, xml_files
from gate.onec.prices import PriceReading

CACHE_FILE = "onec_reading.pickle"
FORMAT = 2
"""Bumped whenever what the payload holds changes: an older cache is then read again, never trusted."""
PARALLEL_BYTES = 32 * 1024 * 1024
"""A package this large (all its XML files) is read by several processes (:func:`read_onec`)."""
MAX_JOBS = 4
"""At most this many processes read one package."""
DIGEST_BYTES = 64 * 1024
"""Of each file, this much of its head and of its tail goes into :func:`package_key`."""
_READING_FIELDS = ("type_names", "prices", "stock", "warehouses", "uses", "price_entries", "prices_delta",
                   "rests_delta")


def read_onec(root: Path, jobs: int | None = None, min_bytes: int = PARALLEL_BYTES) -> tuple[OnecPackage, PriceReading]:
    """Stream every XML file under ``root`` once: the package's facts and its prices and stock.

    A package of ``min_bytes`` or more (all its XML) is read by ``jobs`` processes (default: this
    machine's CPUs, at most :data:`MAX_JOBS`): this one and helpers started with this interpreter
    (``python -m gate.onec.reading ROOT FILE...``), each a share of the files, balanced by size. Each
    file is read on its own and the parts are merged in file order (:meth:`OnecPackage.merge`,
    :meth:`PriceReading.merge`), so the result is the one pass's. A helper that fails leaves its
    files to this process.
    """
    files = xml_files(root) if root.is_dir() else []
    sizes = {path: path.stat().st_size for path in files}
    jobs = min(jobs or os.cpu_count() or 1, MAX_JOBS, len(files))
    if jobs < 2 or sum(sizes.values()) < min_bytes:
        reading = PriceReading(str(root))
        return read_package(root, reading), reading
    shares: list[list[Path]] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    for path in sorted(files, key=lambda p: -sizes[p]):  # the largest first, each to the least loaded share
        least = loads.index(min(loads))
        shares[least].append(path)
        loads[least] += sizes[path]
    helpers = [_Helper(root, share) for share in shares[1:] if share]
    parts = {path: _read_part(root, path) for path in shares[0]}
    for helper in helpers:
        parts.update(helper.parts() or {path: _read_part(root, path) for path in helper.share})
    pkg, reading = OnecPackage(str(root)), PriceReading(str(root))
    for path in files:
        part, prices = parts.pop(path)
        pkg.merge(part)
        reading.merge(prices)
    pkg.offers -= pkg.deleted_offers
    return pkg, reading


def _read_part(root: Path, path: Path) -> tuple[OnecPackage, PriceReading]:
    prices = PriceReading(str(root))
    return read_file(root, path, prices), prices


class _Helper:
    """A process reading a share of the package's files (this module's ``__main__``), started at once; its
    parts come back as one pickle on its stdout, collected by a thread while this process reads its own."""

    def __init__(self, root: Path, share: list[Path]) -> None:
        from toolpaths import REPO

        self.share = share
        self._out: list[bytes] = []
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                [sys.executable, "-m", "gate.onec.reading", str(root), *map(str, share)], cwd=REPO,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:
            self._proc = None
            return
        self._thread = threading.Thread(target=self._collect, name="onec-reading-helper", daemon=True)
        self._thread.start()

    def _collect(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        self._out.append(self._proc.stdout.read())
        self._proc.wait()

    def parts(self) -> dict[Path, tuple[OnecPackage, PriceReading]] | None:
        """The share's parts by path, or None when the helper did not read them all."""
        if self._proc is None:
            return None
        self._thread.join()
        if self._proc.returncode != 0 or not self._out:
            return None
        try:
            got = pickle.loads(self._out.pop())
            parts = {Path(path): _interned(part, prices) for path, part, prices in got}
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None
        return parts if set(parts) == set(self.share) else None


def _interned(part: OnecPackage, prices: PriceReading) -> tuple[OnecPackage, PriceReading]:
    """A helper's part with its ids interned: one string per id across the parts, as :func:`read_package` keeps."""
    for name in ID_SETS:
        setattr(part, name, {sys.intern(x) for x in getattr(part, name)})
    prices.prices = {sys.intern(k): v for k, v in prices.prices.items()}
    prices.stock = {sys.intern(k): v for k, v in prices.stock.items()}
    return part, prices


def _main(argv: list[str]) -> int:
    """A helper: read the files ``argv[1:]`` of the package ``argv[0]``, one part each, pickled to stdout."""
    root = Path(argv[0])
    out = [(path, *_read_part(root, Path(path))) for path in argv[1:]]
    pickle.dump(out, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


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
            **{n: getattr(pkg, n) for n in ID_SETS},
            "reading": {"root": reading.root, **{n: getattr(reading, n) for n in _READING_FIELDS}}}


def _load(cache: Path, key: str) -> tuple[OnecPackage, PriceReading] | None:
    """The cached readings, or None when the cache is torn, of another format or of another package."""
    try:
        with cache.open("rb") as fh:
            if pickle.load(fh) != (FORMAT, key):
                return None
            data = pickle.load(fh)
        pkg = OnecPackage(data["root"], [XmlFile(**f) for f in data["files"]], duplicate_ids=data["duplicate_ids"])
        for name in ID_SETS:
            setattr(pkg, name, data[name])
        held = data["reading"]
        reading = PriceReading(held["root"], **{n: held[n] for n in _READING_FIELDS})
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError, KeyError, TypeError,
            ValueError):
        return None
    return pkg, reading


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
