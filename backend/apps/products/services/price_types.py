"""1C price type name → FreeSport price column, from the file ``settings.PRICE_TYPES_FILE``.

The mapping is a setting, not code: a real export names its types "РРЦ", "Опт 1 (300-600 тыс.руб
в квартал)", "МРЦ"…, and a shop adds a type without a release. The same file is what the
migration gate reads for ONE-04/PST-11 (with its own reader), so the importer and the proof
cannot disagree about where a price goes. Format: ``deploy/price-types.yml`` (documented there).

>>> m = PriceTypeMap.from_data({"retail_column": "retail_price", "columns": ["retail_price"],
...     "types": [{"column": "retail_price", "names": ["РРЦ"]}]}, "x.yml")
>>> m.column_for(" ррц "), m.column_for("МРЦ")
('retail_price', None)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ImproperlyConfigured

from apps.products.services.mapping import normalize_key


@dataclass(frozen=True, slots=True)
class Rule:
    column: str | None
    names: frozenset[str]
    pattern: re.Pattern[str] | None
    reason: str

    def matches(self, key: str) -> bool:
        return key in self.names or (self.pattern is not None and self.pattern.search(key) is not None)


@dataclass(frozen=True, slots=True)
class PriceTypeMap:
    path: str
    retail_column: str
    columns: tuple[str, ...]
    single_type_column: str | None
    rules: tuple[Rule, ...]

    @classmethod
    def from_data(cls, data: Any, path: str) -> PriceTypeMap:
        if not isinstance(data, dict):
            raise ImproperlyConfigured(f"{path}: expected a mapping with retail_column, columns and types")
        columns = tuple(str(c) for c in data.get("columns") or ())
        retail = str(data.get("retail_column") or "")
        if not columns or retail not in columns:
            raise ImproperlyConfigured(f"{path}: retail_column {retail!r} must be one of columns {list(columns)}")
        single = data.get("single_type_column") or None
        if single is not None and single not in columns:
            raise ImproperlyConfigured(f"{path}: single_type_column {single!r} is not one of columns")
        rules: list[Rule] = []
        for index, entry in enumerate(data.get("types") or [], start=1):
            where = f"{path}: types entry {index}"
            if not isinstance(entry, dict) or ("column" in entry) == ("ignore" in entry):
                raise ImproperlyConfigured(f"{where}: give either `column: <name>` or `ignore: <reason>`")
            column = entry.get("column")
            if column is not None and column not in columns:
                raise ImproperlyConfigured(f"{where}: column {column!r} is not one of {list(columns)}")
            reason = str(entry.get("ignore") or "").strip()
            if "ignore" in entry and not reason:
                raise ImproperlyConfigured(f"{where}: `ignore` needs the reason the type is not imported")
            try:
                pattern = re.compile(entry["match"]) if entry.get("match") else None
            except re.error as exc:
                raise ImproperlyConfigured(f"{where}: match {entry['match']!r} is not a regex: {exc}") from None
            names = frozenset(normalize_key(str(n)) for n in entry.get("names") or ())
            if not names and pattern is None:
                raise ImproperlyConfigured(f"{where}: give `names` and/or `match`")
            rules.append(Rule(column, names, pattern, reason))
        return cls(path, retail, columns, single, tuple(rules))

    def rule_for(self, name: str) -> Rule | None:
        key = normalize_key(name)
        return next((r for r in self.rules if r.matches(key)), None)

    def column_for(self, name: str) -> str | None:
        """The price column a type name fills (None: ignored or unmapped)."""
        rule = self.rule_for(name)
        return rule.column if rule else None

    def resolve(self, price_types: dict[str, str]) -> dict[str, str | None]:
        """Price type id → column for a package's declared types (single-type fallback applied)."""
        mapped = {tid: self.column_for(name) for tid, name in price_types.items()}
        if len(mapped) == 1 and self.single_type_column:
            (tid, column), = mapped.items()
            if column is None and self.rule_for(price_types[tid]) is None:
                mapped[tid] = self.single_type_column
        return mapped


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int) -> PriceTypeMap:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ImproperlyConfigured(f"PRICE_TYPES_FILE={path}: not YAML: {exc}") from None
    return PriceTypeMap.from_data(data, path)


def load(path: Path | str | None = None) -> PriceTypeMap:
    """The mapping in ``path`` (default ``settings.PRICE_TYPES_FILE``), re-read when the file changes."""
    if path is None:
        from django.conf import settings

        path = settings.PRICE_TYPES_FILE
    file = Path(path)
    try:
        mtime = file.stat().st_mtime_ns
    except OSError as exc:
        raise ImproperlyConfigured(f"PRICE_TYPES_FILE={file}: {exc.strerror}") from None
    return _load(str(file), mtime)
