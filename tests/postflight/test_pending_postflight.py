"""Postflight checks (PST-*, MNT-02, MON-01): placeholders until issue 6 fills them in.

Each skips with its reason, so the sign-off lists it as a manual item; replace a
placeholder by a real check with the same id (and delete it here).
"""

from __future__ import annotations

import pytest

PENDING = "not implemented yet: issue 6"


@pytest.mark.check("PST-01", severity="critical")
def test_pending_pst_01():
    """Product count = expected from the 1C files"""
    pytest.skip(PENDING)


@pytest.mark.check("PST-02", severity="critical")
def test_pending_pst_02():
    """ProductVariant count = expected (offers + one default variant per product without offers)"""
    pytest.skip(PENDING)


@pytest.mark.check("PST-03", severity="low")
def test_pending_pst_03():
    """ColorMapping ≥ 20"""
    pytest.skip(PENDING)


@pytest.mark.check("PST-04", severity="critical")
def test_pending_pst_04():
    """API `/products/` answers with count = active products > 0"""
    pytest.skip(PENDING)


@pytest.mark.check("PST-05", severity="critical")
def test_pending_pst_05():
    """API product detail has non-empty `variants[]` (sampled)"""
    pytest.skip(PENDING)


@pytest.mark.check("PST-06", severity="critical")
def test_pending_pst_06():
    """API `/categories/` count = expected categories"""
    pytest.skip(PENDING)


@pytest.mark.check("PST-07", severity="critical")
def test_pending_pst_07():
    """protected tables (default: orders, order_items, carts, cart_items, users, favorites; a setting) unchanged vs the pre-migration snapshot"""
    pytest.skip(PENDING)


@pytest.mark.check("PST-08", severity="high")
def test_pending_pst_08():
    """response time: p95 < 500 ms; 500–1000 ms fails as low, above 1000 ms as high"""
    pytest.skip(PENDING)


@pytest.mark.check("PST-09", severity="critical")
def test_pending_pst_09():
    """error rate < 1 %; 1–5 % fails as high, above 5 % as critical"""
    pytest.skip(PENDING)


@pytest.mark.check("PST-10", severity="critical")
def test_pending_pst_10():
    """no pending migrations"""
    pytest.skip(PENDING)


@pytest.mark.check("MNT-02", severity="critical")
def test_pending_mnt_02():
    """maintenance off: the API answers 200"""
    pytest.skip(PENDING)


@pytest.mark.check("MON-01", severity="high")
def test_pending_mon_01():
    """monitoring: error rate and mean response time from the logs stay under threshold"""
    pytest.skip(PENDING)
