"""The price-type mapping (``PRICE_TYPES_FILE``, default ``deploy/price-types.yml``) read by the gate itself.

The importer maps 1C price types to FreeSport price columns through the same file; the gate
never imports the importer (isolation self-test), so it reads the YAML with its own reader and
states what the file says: which column a type name fills, which types are ignored on purpose
(with the reason), and which column the site sells by. The file's comments document the format.

>>> m = PriceTypeMap.from_data({"retail_column": "retail_price", "columns": ["retail_price"],
...     "types": [{"column": "retail_price", "names": ["РРЦ"]}]}, "x.yml")
>>> m.column_for(" ррц "), m.column_for("МРЦ")
('retail_price', None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml


class PriceTypesError(ValueError):
    """The mapping file is missing or wrong; the message names the file and the entry."""


def normalize_name(name: str) -> str:
    """Case-, ё/е- and whitespace-insensitive key of a price type name (the file's matching rule).

    >>> normalize_name("  Опт 1  (300-600 тыс.руб в квартал) ")
    'опт 1 (300-600 тыс.руб в квартал)'
    """
    return " ".join(name.replace("ё", "е").replace("Ё", "Е").casefold().split())


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``types`` entry: a column to fill, or ``None`` with the reason the type is ignored."""

    column: str | None
    names: frozenset[str]
    pattern: re.Pattern[str] | None
    reason: str

    def matches(self, key: str) -> bool:
        """The normalised name is one of ``names`` or ``match`` finds it."""
        return key in self.names or (self.pattern is not None and self.pattern.search(key) is not None)


@dataclass(frozen=True, slots=True)
class PriceTypeMap:
    """The mapping file as facts: ``column_for(name)``, ``rule_for(name)``, ``resolve(types)``."""

    path: str
    retail_column: str
    columns: tuple[str, ...]
    single_type_column: str | None
    rules: tuple[Rule, ...]

    @classmethod
    def from_data(cls, data: object, path: str) -> PriceTypeMap:
        """Validate the parsed YAML; errors name ``path`` and the ``types`` entry."""
        if not isinstance(data, dict):
            raise PriceTypesError(f"{path}: expected a mapping with retail_column, columns and types")
        columns = tuple(str(c) for c in data.get("columns") or ())
        retail = str(data.get("retail_column") or "")
        if not columns or retail not in columns:
            raise PriceTypesError(f"{path}: retail_column {retail!r} must be one of columns {list(columns)}")
        single = data.get("single_type_column") or None
        if single is not None and single not in columns:
            raise PriceTypesError(f"{path}: single_type_column {single!r} is not one of columns")
        rules: list[Rule] = []
        for index, entry in enumerate(data.get("types") or [], start=1):
            where = f"{path}: types entry {index}"
            if not isinstance(entry, dict) or ("column" in entry) == ("ignore" in entry):
                raise PriceTypesError(f"{where}: give either `column: <name>` or `ignore: <reason>`")
            column = entry.get("column")
            if column is not None and column not in columns:
                raise PriceTypesError(f"{where}: column {column!r} is not one of {list(columns)}")
            reason = str(entry.get("ignore") or "").strip()
            if "ignore" in entry and not reason:
                raise PriceTypesError(f"{where}: `ignore` needs the reason the type is not imported")
            try:
                pattern = re.compile(entry["match"]) if entry.get("match") else None
            except re.error as exc:
                raise PriceTypesError(f"{where}: match {entry['match']!r} is not a regex: {exc}") from None
            names = frozenset(normalize_name(str(n)) for n in entry.get("names") or ())
            if not names and pattern is None:
                raise PriceTypesError(f"{where}: give `names` and/or `match`")
            rules.append(Rule(column, names, pattern, reason))
        return cls(path, retail, columns, single, tuple(rules))

    def rule_for(self, name: str) -> Rule | None:
        """The first rule matching ``name`` (None: the type is unmapped)."""
        key = normalize_name(name)
        return next((r for r in self.rules if r.matches(key)), None)

    def column_for(self, name: str) -> str | None:
        """The price column a type name fills (None: ignored on purpose, or unmapped)."""
        rule = self.rule_for(name)
        return rule.column if rule else None

    def resolve(self, type_names: dict[str, str]) -> dict[str, str | None]:
        """Price type id → column for a package's declared types, the single-type fallback applied.

        >>> m = load_price_types(Path("deploy/price-types.yml"))   # doctest: +SKIP
        >>> m.resolve({"a": "BASE"})                                 # doctest: +SKIP
        {'a': 'retail_price'}
        """
        mapped = {tid: self.column_for(name) for tid, name in type_names.items()}
        if len(mapped) == 1 and self.single_type_column:
            ((tid, column),) = mapped.items()
            if column is None and self.rule_for(type_names[tid]) is None:
                mapped[tid] = self.single_type_column
        return mapped


def load_price_types(path: Path) -> PriceTypeMap:
    """Read and validate the mapping file; ``PriceTypesError`` names the file (and the setting)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PriceTypesError(f"PRICE_TYPES_FILE={path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PriceTypesError(f"PRICE_TYPES_FILE={path}: not YAML: {exc}") from None
    return PriceTypeMap.from_data(data, str(path))
