"""Assertion helpers for checks: fail with the findings themselves, pointing at the check's line.

>>> no_findings([], "QA gates")
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest


def no_findings(findings: Sequence[str], what: str) -> None:
    """Fail listing every finding (``what: a; b``) when there is any; the traceback stays in the check.

    >>> no_findings(["13.2: gate FAIL"], "QA gates")   # doctest: +SKIP
    Failed: QA gates: 13.2: gate FAIL
    """
    __tracebackhide__ = True
    if findings:
        pytest.fail(f"{what}: " + "; ".join(findings), pytrace=False)
