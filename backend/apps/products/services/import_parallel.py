"""Read the 3.1 ``prices`` and ``rests`` files in a forked process, next to the main one.

Why: parsing is the import's cost (CPU-bound lxml + Python), and in a 3.1 split package the
prices and rests files are about 60 % of the bytes while needing nothing from goods or offers
but the price types of the classifier. So once the classifier is read, a child process
(``fork``: it inherits the classifier dictionaries, never touches the database connection,
and leaves with ``os._exit``) validates and maps those files into ``COPY``-format files, while
the parent reads goods and offers; the parent then folds the child's report into its own and
``COPY``s the child's rows into the staging tables. Everything the child writes carries
sequence numbers after the parent's, so "the last one wins" keeps the file order.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import shutil
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from apps.products.services.import_staging import COLUMNS, Staging
from apps.products.services.offer_index import DELETED, OFFER, WITH_OFFERS, OfferIndex
from apps.products.services.parser import PackageFile, XMLDataParser
from apps.products.services.validation import FileInfo, PackageValidator, ValidationReport

CHILD_SEQ_START = 10**12


NULL = "\\N"  # COPY ... (FORMAT csv, NULL '\N'): an unquoted empty field stays an empty string


class FileStaging:
    """``Staging``'s interface, writing CSV files for ``COPY`` instead of the database (the C
    ``csv`` writer: encoding 200k rows costs next to nothing)."""

    def __init__(self, directory: Path, seq_start: int) -> None:
        self.directory = directory
        self.seq = seq_start
        self.rows: dict[str, int] = dict.fromkeys(COLUMNS, 0)
        self._files: dict[str, Any] = {}
        self._writers: dict[str, Any] = {}

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        writer = self._writers.get(table)
        if writer is None:
            fh = self._files[table] = (self.directory / f"{table}.csv").open("w", encoding="utf-8", newline="",
                                                                              buffering=1 << 20)
            writer = self._writers[table] = csv.writer(fh)
        writer.writerow([NULL if v is None else v for v in row])
        self.rows[table] += 1

    def flush(self, table: str | None = None) -> None:
        for fh in self._files.values():
            fh.flush()

    def close(self) -> dict[str, str]:
        for fh in self._files.values():
            fh.close()
        return {table: str(self.directory / f"{table}.csv") for table in self._files}


class PendingSpill:
    """The child's ``pending_price_offers``: every price/rest offer id it cannot resolve itself
    (the offers are the parent's to read) goes to a CSV file instead of a dict, so memory
    stays flat with the catalog (1M ids were ~300 MB in the child, then again in the parent after
    the pipe). The parent's ``PackageValidator.finish`` reads the file back once the offers are
    known, keeping the first place of each id, as the dict did."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.files: dict[str, int] = {}
        self._fh = path.open("w", encoding="utf-8", newline="", buffering=1 << 20)
        self._writer = csv.writer(self._fh)

    def __contains__(self, key: object) -> bool:
        return False  # duplicates are dropped when read back

    def __setitem__(self, key: str, where: tuple[str, int]) -> None:
        file, line = where
        index = self.files.setdefault(file, len(self.files))
        self._writer.writerow((key, index, line))

    def pop(self, key: str, default: Any = None) -> Any:
        return default  # an offer body here is in the child's offers, merged into the parent's

    def close(self) -> tuple[str, list[str]]:
        self._fh.close()
        return str(self.path), list(self.files)


@dataclass
class ChildResult:
    report: ValidationReport | None = None
    infos: dict[str, FileInfo] = field(default_factory=dict)
    validator_state: dict[str, Any] = field(default_factory=dict)
    pending_prices: list[Any] = field(default_factory=list)
    #: (CSV path, file names) of the price/rest offer ids the child could not resolve (``PendingSpill``)
    spilled_price_offers: tuple[str, list[str]] | None = None
    price_type_names: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    error: str | None = None


_MERGED_STATE = ("pending_price_types", "pending_props", "pending_offer_products")


def _child_main(parser: XMLDataParser, files: list[PackageFile], stager: Any, validator: PackageValidator,
                directory: str, conn: Any) -> None:
    result = ChildResult()
    try:
        report = ValidationReport(data_dir=str(parser.path))
        validator.report = report
        for name in _MERGED_STATE:
            setattr(validator, name, {})
        # the products as inherited (goods read before the fork), their offers' ids fresh
        validator.offers = OfferIndex(products=validator.products)
        validator.price_type_uses = Counter()
        spill = PendingSpill(Path(directory) / "pending_price_offers.csv")
        validator.pending_price_offers = spill  # type: ignore[assignment]
        staging = FileStaging(Path(directory), CHILD_SEQ_START)
        if stager is not None:  # None: validation only
            stager.staging = staging
            stager.pending_prices = []
        parser.stream_files(files, report, validator, sink=stager)
        result.report = report
        result.infos = {pf.display: pf.info for pf in files}
        result.validator_state = {name: getattr(validator, name) for name in _MERGED_STATE}
        result.validator_state["offers"] = validator.offers  # its products go along (``OfferIndex.products``)
        result.validator_state["price_types"] = validator.price_types
        result.validator_state["price_type_uses"] = validator.price_type_uses
        if stager is not None:
            result.pending_prices = stager.pending_prices
            result.price_type_names = stager.price_type_names
        result.spilled_price_offers = spill.close()
        result.files = staging.close()
        result.rows = staging.rows
    except BaseException:  # reported to the parent, which fails the import
        result = ChildResult(error=traceback.format_exc())
    conn.send(result)
    conn.close()


class ChildReader:
    """The forked reader of ``files``; ``collect()`` waits for it and returns its result."""

    def __init__(self, parser: XMLDataParser, files: list[PackageFile], stager: Any, validator: PackageValidator) -> None:
        self.directory = tempfile.mkdtemp(prefix="freesport-import-")
        ctx = multiprocessing.get_context("fork")
        self._recv, send = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_child_main, args=(parser, files, stager, validator, self.directory, send),
                                   name="import-prices-rests", daemon=True)
        self.process.start()
        send.close()

    def collect(self) -> ChildResult:
        try:
            result: ChildResult = self._recv.recv()
        except EOFError:
            result = ChildResult(error=f"the reader process died (exit code {self.process.exitcode})")
        self.process.join()
        return result

    def cleanup(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()
        shutil.rmtree(self.directory, ignore_errors=True)


def spare_core() -> bool:
    """Is there CPU for the forked reader? With 2+ cores it pays off (measured ~1.3-1.5x on the
    parse) unless the machine is heavily oversubscribed, where a second process only adds the
    CSV round trip; so the reader is forked unless the load is above twice the core count."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        return False
    return cores >= 2 and load < 2 * cores


def use_fork(parallel: bool | None) -> bool:
    """``parallel``: True = always, False = never, None = when there is CPU for it (``spare_core``)."""
    return spare_core() if parallel is None else parallel


def child_share(files: list[PackageFile]) -> list[PackageFile]:
    """The prices/rests files the forked reader takes: the longest tail of them (so its rows,
    staged after the parent's, keep "the last one wins" in file order) that leaves it at most
    half of the parsing work (measured: a byte of prices/rests, dense in small elements, costs ~1.4x a byte of goods/offers)."""
    weight = {id(f): f.info.size * (0.7 if f.head.rank in (1, 2) else 1.0) for f in files if f.head.rank}
    total = sum(weight.values())
    share: list[PackageFile] = []
    taken = 0.0
    for f in reversed([f for f in files if f.head.rank >= 3]):
        if taken + weight[id(f)] > total / 2:
            break
        share.insert(0, f)
        taken += weight[id(f)]
    return share


def absorb(result: ChildResult, report: ValidationReport, validator: PackageValidator, stager: Any) -> None:
    """Fold the child's report, validator bookkeeping and pending prices into the parent's."""
    if result.error is not None:
        raise RuntimeError(f"reading prices/rests in a child process failed:\n{result.error}")
    child = result.report
    assert child is not None
    listed: dict[str, int] = {}
    for problem in child.problems:
        report.add(problem.severity, problem.code, problem.message, problem.file, problem.line)
        key = f"{problem.severity}:{problem.code}"
        listed[key] = listed.get(key, 0) + 1
    for key, count in child.problem_counts.items():
        hidden = count - listed.get(key, 0)
        if hidden > 0:  # counted, not listed (beyond MAX_LISTED in the child)
            report.problem_counts[key] = report.problem_counts.get(key, 0) + hidden
            if key.startswith("error:"):
                report.errors += hidden
            else:
                report.warnings += hidden
    for f in fields(child.counts):
        setattr(report.counts, f.name, getattr(report.counts, f.name) + getattr(child.counts, f.name))
    report.full_snapshot = report.full_snapshot and child.full_snapshot
    by_path = {info.path: info for info in report.files}
    for display, info in result.infos.items():
        target = by_path.get(display)
        if target is not None:
            target.kind, target.kinds, target.counts, target.only_changes = info.kind, info.kinds, info.counts, info.only_changes
    state = result.validator_state
    for tid, value in state.get("price_types", {}).items():
        validator.price_types.setdefault(tid, value)
    for name in ("pending_price_types", "pending_props"):
        target_map = getattr(validator, name)
        for key, value in state.get(name, {}).items():
            target_map.setdefault(key, value)
    for product_id, where in state.get("pending_offer_products", {}).items():
        validator.pending_offer_products.setdefault(product_id, []).extend(where)
    if "offers" in state:  # the offer ids and deletions of offers files (not 2.04 goods: the child reads none)
        # "has offers" of products: stays unset for prices/rests files, but would not if a file's kind was guessed wrong
        validator.products.merge(state["offers"].products, WITH_OFFERS)
        validator.offers.merge(state["offers"], OFFER | DELETED)
    validator.price_type_uses.update(state.get("price_type_uses", {}))
    if result.spilled_price_offers is not None:
        validator.spilled_price_offers.append(result.spilled_price_offers)
    if stager is not None:
        stager.pending_prices.extend(result.pending_prices)
        for tid, name in result.price_type_names.items():
            stager.note_price_type(tid, name)


def load(result: ChildResult, staging: Staging) -> None:
    """``COPY`` the child's row files into the staging tables."""
    with staging.connection.cursor() as cur:
        raw = cur.cursor
        for table, path in result.files.items():
            cols = ", ".join(COLUMNS[table])
            sql = f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')"
            with raw.copy(sql) as copy, open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
            staging.rows[table] += result.rows.get(table, 0)
