"""``XMLDataParser``: find the files of a 1C package, validate them, stream their records.

The runbook calls ``XMLDataParser('/path/to/1c/data').validate_files()`` before the import
(step 5) and after a failed one; the importer uses the same object, so what the operator
validated is exactly what gets imported. File names are treated as opaque: a file's kind
comes from its content, and files are processed classifier → goods → offers → prices → rests
whatever their names or sub-folders (3.1 split packages and 2.x ``import.xml`` +
``offers.xml`` alike).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from apps.products.services.validation import (
    ERROR,
    KIND_ORDER,
    SUPPORTED_VERSION_RE,
    WARNING,
    FileInfo,
    PackageValidator,
    ValidationReport,
)
from apps.products.services.xml_reader import (
    ROOT,
    ContainerRec,
    FileHead,
    Record,
    XMLProblem,
    check_tail,
    iter_records,
    scan_head,
)


@dataclass(slots=True)
class PackageFile:
    path: Path
    display: str
    head: FileHead
    info: FileInfo


class XMLDataParser:
    """A 1C exchange folder (or a single file)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._files: list[PackageFile] | None = None
        self._report: ValidationReport | None = None

    # -- discovery ------------------------------------------------------------------------
    def discover(self) -> list[Path]:
        """Every ``*.xml`` under the folder (recursive, sorted), or the file itself."""
        if self.path.is_file():
            return [self.path]
        return sorted(p for p in self.path.rglob("*") if p.is_file() and p.suffix.lower() == ".xml")

    def _display(self, p: Path) -> str:
        if self.path.is_dir():
            return str(p.relative_to(self.path))
        return p.name

    # -- validation -----------------------------------------------------------------------
    def validate_files(self, parallel: bool | None = None) -> ValidationReport:
        """Validate the whole package (streaming, one pass per file); see ``validation``.

        ``parallel`` (True / False / None = unless the machine is oversubscribed): the 3.1 prices/rests files are
        read by a forked process meanwhile (``import_parallel``), as the import does."""
        from apps.products.services import import_parallel

        report, validator = self.preflight()
        if not import_parallel.use_fork(parallel):
            self.stream(report, validator)
            return report

        files = self._pending
        side = import_parallel.child_share(files)
        self.stream_files([f for f in files if f.head.rank == 0], report, validator)
        child = import_parallel.ChildReader(self, side, None, validator) if side and report.errors == 0 else None
        try:
            self.stream_files([f for f in files if f.head.rank != 0 and f not in side], report, validator)
            if child is not None:
                import_parallel.absorb(child.collect(), report, validator, None)
            elif side:
                self.stream_files(side, report, validator)
            self.finish(report, validator)  # before cleanup: it reads the child's spilled ids
        finally:
            if child is not None:
                child.cleanup()
        return report

    def preflight(self) -> tuple[ValidationReport, PackageValidator]:
        """Cheap checks of every file before any parsing: the folder exists, each file is XML
        in a known encoding with no DTD/entities, is complete (closing root tag) and is of a
        supported CommerceML version. Errors here stop an import before it touches the DB."""
        report = ValidationReport(data_dir=str(self.path))
        validator = PackageValidator(report)
        self._pending: list[PackageFile] = []
        if not self.path.exists():
            report.add(ERROR, "missing", f"1C data folder {self.path} does not exist", str(self.path), None)
            return report, validator
        paths = self.discover()
        if not paths:
            report.add(ERROR, "missing", f"no *.xml files in {self.path}", str(self.path), None)
        heads: list[tuple[Path, str, FileHead]] = []
        for p in paths:
            display = self._display(p)
            try:
                head = scan_head(p, display)
            except XMLProblem as exc:
                report.add(ERROR, exc.code, exc.message, exc.file, exc.line)
                continue
            heads.append((p, display, head))
        heads.sort(key=lambda t: (t[2].rank, t[1]))
        for p, display, head in heads:
            info = FileInfo(display, "unknown", [], head.version, head.namespace, head.encoding, head.bom, p.stat().st_size)
            report.files.append(info)
            if head.root != ROOT:
                report.add(WARNING, "not_commerceml", f"root element <{head.root}> is not <{ROOT}>: not a CommerceML document, skipped", display, 1)
                continue
            if not head.version or not SUPPORTED_VERSION_RE.match(head.version.strip()):
                report.add(ERROR, "unsupported_version", f"unsupported CommerceML version {head.version!r} (supported: 2.03-2.10, 3.1)", display, 1)
                continue
            try:
                check_tail(head, display)
            except XMLProblem as exc:
                report.add(ERROR, exc.code, exc.message, exc.file, exc.line)
                continue
            self._pending.append(PackageFile(p, display, head, info))
        return report, validator

    def stream(
        self,
        report: ValidationReport,
        validator: PackageValidator,
        sink: Callable[[Record, PackageFile], None] | None = None,
    ) -> None:
        """Parse every file that passed the preflight, feeding the validator (and ``sink``,
        the importer's stager, while the report still has no error), then finish the report."""
        self.stream_files(self._pending, report, validator, sink)
        self.finish(report, validator)

    @property
    def pending_files(self) -> list[PackageFile]:
        """Files that passed the preflight, in import order (classifier → goods → offers → prices → rests)."""
        return list(self._pending)

    def stream_files(
        self,
        files: list[PackageFile],
        report: ValidationReport,
        validator: PackageValidator,
        sink: Callable[[Record, PackageFile], None] | None = None,
    ) -> None:
        for pf in files:
            info, head, display = pf.info, pf.head, pf.display
            kinds: Counter[str] = Counter()
            try:
                for rec in iter_records(head, display):
                    validator.feed(rec, display, kinds)
                    if isinstance(rec, ContainerRec):
                        info.only_changes = rec.only_changes
                    if sink is not None and report.errors == 0:
                        sink(rec, pf)
            except XMLProblem as exc:
                report.add(ERROR, exc.code, exc.message, exc.file, exc.line)
                continue
            info.kinds = sorted(kinds, key=KIND_ORDER.index)
            info.counts = dict(kinds)
            info.kind = self._primary_kind(kinds, head)

    def finish(self, report: ValidationReport, validator: PackageValidator) -> None:
        """Package-level checks once every file is read; versions and file order of the report."""
        validator.finish()
        versions: list[str] = []
        for pf in self._pending:
            if pf.info.kind not in ("documents", "unknown") and pf.head.version and pf.head.version not in versions:
                versions.append(pf.head.version)
        report.versions = versions
        files = [pf for pf in self._pending if pf.info.kinds or pf.info.kind != "unknown"]
        files.sort(key=lambda f: (KIND_ORDER.index(f.info.kind), f.display))
        self._files, self._report = files, report

    @staticmethod
    def _primary_kind(kinds: Counter[str], head: FileHead) -> str:
        for kind in ("goods", "offers", "prices", "rests", "groups", "properties", "priceLists", "storages"):
            if kinds.get(kind):
                return kind
        return "documents" if head.has_document else "unknown"

    # -- import-time streaming --------------------------------------------------------------
    def files_in_import_order(self, file_types: set[str] | None = None) -> list[PackageFile]:
        """Validated files, classifier → goods → offers → prices → rests (validate first)."""
        if self._files is None:
            self.validate_files()
        assert self._files is not None
        wanted = [f for f in self._files if f.info.kind not in ("documents", "unknown")]
        if file_types is not None:
            wanted = [f for f in wanted if set(f.info.kinds) & file_types]
        return wanted

    def iter_file(self, pf: PackageFile) -> Iterator[Record]:
        return iter_records(pf.head, pf.display)
