"""Lint the SQL of pending migrations for what locks or rewrites tables, with a waiver file.

Rule names follow squawk (and django-migration-linter's wording in the message), so a finding
can be looked up. Statements on tables created in the same migration are exempt (nobody reads a
table that does not exist yet). A waiver accepts one rule for one migration, with a reason;
waived findings are recorded in the run and do not fail MIG-03.

Waiver file (YAML)::

    waivers:
      - migration: products.0004_remove_product_per_sku_fields
        rule: ban-drop-column
        reason: the v13.4 change drops the per-SKU columns; the catalog is flushed and re-imported

>>> [f.rule for f in lint_sql("m.1", "ALTER TABLE orders ADD COLUMN x int NOT NULL;")]
['adding-required-field']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

RULES: tuple[tuple[str, str, str], ...] = (
    ("adding-required-field", r"\bADD\s+COLUMN\b(?![^;]*\bDEFAULT\b)[^;]*\bNOT\s+NULL\b",
     "NOT NULL column without a default: rewrites/locks the table (django-migration-linter NOT_NULL)"),
    ("setting-not-nullable-field", r"\bALTER\s+COLUMN\s+\S+\s+SET\s+NOT\s+NULL\b",
     "SET NOT NULL scans the table under an ACCESS EXCLUSIVE lock"),
    ("require-concurrent-index-creation", r"\bCREATE\s+(?:UNIQUE\s+)?INDEX\b(?!\s+CONCURRENTLY)",
     "non-concurrent index: blocks writes while it builds"),
    ("disallowed-unique-constraint", r"\bADD\s+CONSTRAINT\s+\S+\s+UNIQUE\b",
     "unique constraint builds an index under a lock (use CREATE UNIQUE INDEX CONCURRENTLY)"),
    ("adding-foreign-key-constraint", r"\bADD\s+CONSTRAINT\b[^;]*\bFOREIGN\s+KEY\b(?![^;]*\bNOT\s+VALID\b)",
     "foreign key validated under a lock (add NOT VALID, then VALIDATE)"),
    ("changing-column-type", r"\bALTER\s+COLUMN\s+\S+\s+TYPE\b", "column type change rewrites the table"),
    ("ban-drop-column", r"\bDROP\s+COLUMN\b", "drops data (django-migration-linter DROP_COLUMN)"),
    ("ban-drop-table", r"\bDROP\s+TABLE\b", "drops a table and its data"),
    ("renaming-column", r"\bRENAME\s+COLUMN\b", "renames break the running release (django-migration-linter RENAME_COLUMN)"),
    ("renaming-table", r"\bRENAME\s+TO\b", "renames break the running release (RENAME_TABLE)"),
    ("ban-delete-or-update", r"^\s*(?:DELETE\s+FROM|UPDATE)\s", "rewrites rows in a migration"),
)
_CREATE = re.compile(r'\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)"?', re.I)
_TABLE = re.compile(r'\b(?:ALTER\s+TABLE|ON|INTO|FROM|UPDATE)\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?"?(\w+)"?', re.I)


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule hit in one migration's SQL."""

    migration: str
    rule: str
    statement: str
    why: str
    waived: str = ""

    def line(self) -> str:
        """One line for the summary."""
        tag = f" [waived: {self.waived}]" if self.waived else ""
        return f"{self.migration}: {self.rule} — {self.statement[:120]}{tag}"


def statements(sql: str) -> list[str]:
    """SQL split into statements, comments and transaction control dropped."""
    text = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    out = []
    for part in text.split(";"):
        stmt = " ".join(part.split())
        if stmt and stmt.upper() not in ("BEGIN", "COMMIT"):
            out.append(stmt)
    return out


def lint_sql(migration: str, sql: str) -> list[Finding]:
    """Every rule hit in the migration's SQL (statements on tables it creates are exempt)."""
    created = {m.lower() for m in _CREATE.findall(sql)}
    found = []
    for stmt in statements(sql):
        if _CREATE.search(stmt):
            continue
        tables = {t.lower() for t in _TABLE.findall(stmt)}
        if tables and tables <= created:
            continue
        for rule, pattern, why in RULES:
            if re.search(pattern, stmt, re.I):
                found.append(Finding(migration, rule, stmt, why))
    return found


def load_waivers(path: Path | None) -> dict[tuple[str, str], str]:
    """``(migration, rule) -> reason`` from the waiver file (none when it does not exist)."""
    if path is None or not path.exists():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    out = {}
    for entry in data.get("waivers", []):
        reason = str(entry.get("reason") or "").strip()
        if not reason:
            raise ValueError(f"{path}: waiver {entry} has no reason")
        out[(str(entry["migration"]), str(entry["rule"]))] = reason
    return out


def apply_waivers(findings: list[Finding], waivers: dict[tuple[str, str], str]) -> list[Finding]:
    """The findings with ``waived`` set where the waiver file accepts them."""
    return [Finding(f.migration, f.rule, f.statement, f.why, waivers.get((f.migration, f.rule), ""))
            for f in findings]
