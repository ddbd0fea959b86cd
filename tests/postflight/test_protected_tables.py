"""Orders, carts, users and favorites survived the whole window (vs the pre-migration snapshot)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gate.report.attach import attach_text

if TYPE_CHECKING:
    from gate.db.snapshot import Snapshot
    from gate.db.target import TargetDb
    from gate.fixtures import MessageReporter
    from gate.settings import Settings


@pytest.mark.check("PST-07", severity="critical")
def test_protected_tables_equal_pre_migration_snapshot(settings: Settings, target_db: TargetDb,
                                                       pre_snapshot: Snapshot,
                                                       check_message: MessageReporter) -> None:
    """Protected tables: row counts and content hashes = the snapshot taken with the backup."""
    protected = [t for t in settings.protected_tables if t in pre_snapshot.tables]
    assert protected, "none of PROTECTED_TABLES is in the pre-migration snapshot"
    differences = pre_snapshot.only(protected).diff(target_db.snapshot(protected, settings.volatile_map), content_only=True)
    attach_text("\n".join(differences) or "no difference", "protected tables vs the pre-migration snapshot")
    assert not differences, "; ".join(differences)
    volatile = ", ".join(f"{t}.{c}" for t, cols in pre_snapshot.volatile.items() if t in protected for c in cols)
    check_message(f"{len(protected)} protected tables unchanged: {', '.join(protected)}" + (
        f"; volatile columns not compared ({volatile}: any login updates them, e.g. ONE-01's checkauth; "
        "VOLATILE_COLUMNS)" if volatile else ""))
