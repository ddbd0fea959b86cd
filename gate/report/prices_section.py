"""The sign-off's "Prices and stock" section: PST-11/12's comparison of the 1C package with the database.

Read from ``prices_stock.json`` in the run directory (written by the checks); a run that never
reached the postflight has none and the section says so.

>>> price_rows({"prices": {"columns": {"retail_price": {"package": 3, "database": 2}}}})[0][:3]
('prices', 'retail_price', 3)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypedDict, cast

from gate.onec.prices import EVIDENCE_FILE

Row = tuple[str, str, int, int, str]


class ComparisonJson(TypedDict, total=False):
    """One comparison (prices or stock) as ``Comparison.as_dict`` records it (its notes left out)."""

    columns: dict[str, dict[str, int]]
    sample_size: int
    compared: int
    difference_count: int
    differences: list[str]
    orphans: int
    unplaced: int
    not_asserted: int
    missing_variants: int
    findings: list[str]
    high_findings: list[str]


Evidence = dict[str, ComparisonJson]
"""``prices_stock.json``: ``prices`` and ``stock`` comparisons."""


def load_evidence(run_dir: Path) -> Evidence:
    """The comparison recorded in ``run_dir`` (empty when PST-11/12 did not run)."""
    path = run_dir / EVIDENCE_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return cast(Evidence, data) if isinstance(data, dict) else {}


def price_rows(evidence: Evidence) -> list[Row]:
    """``(what, column, package, database, state)`` per compared column."""
    rows: list[Row] = []
    for what in ("prices", "stock"):
        for column, n in (evidence.get(what) or {}).get("columns", {}).items():
            package, database = int(n.get("package", 0)), int(n.get("database", 0))
            rows.append((what, column, package, database, "equal" if package == database else "DIFFERS"))
    return rows


def summary_lines(evidence: Evidence) -> list[str]:
    """One sentence per comparison: sample size, differences found, orphans, findings."""
    lines = []
    for what in ("prices", "stock"):
        part = evidence.get(what)
        if not part:
            continue
        text = (f"{what}: {part.get('compared', 0)} variants sampled (sample size {part.get('sample_size', 0)}), "
                f"{part.get('difference_count', 0)} difference(s) found; {part.get('orphans', 0)} orphan entries "
                f"never placed; {part.get('not_asserted', 0)} variants not asserted (absent from the files)")
        findings = [*part.get("findings", []), *part.get("high_findings", [])]
        if findings:
            text += "; findings: " + "; ".join(findings[:3])
        if part.get("differences"):
            text += "; e.g. " + "; ".join(part["differences"][:3])
        lines.append(text)
    return lines
