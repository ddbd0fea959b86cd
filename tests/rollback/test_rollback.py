"""Rollback Procedure: the restore brings the pre-migration database back, in time, and the previous release serves.

These checks read what ``scripts/deploy/rollback_production.sh`` recorded in this run
(``RUN_DIR/rollback.json``): a run in which no rollback ran skips them with that reason
(``make rollback-rehearsal`` and ``make rehearsal`` run one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gate.checks import ROLLBACK_BUDGET_S
from gate.db.snapshot import snapshot_of
from gate.rollback import RollbackRecord, previous_release_serves
from gate.rollback.smoke import smoke_paths

if TYPE_CHECKING:
    from gate.db.snapshot import Snapshot
    from gate.fixtures import MessageReporter
    from gate.settings import Settings


@pytest.mark.check("RBK-01", severity="critical")
def test_rollback_restores_the_pre_migration_database(rollback_record: RollbackRecord,
                                                      rollback_pre_snapshot: Snapshot, settings: Settings,
                                                      check_message: MessageReporter) -> None:
    """Восстановить БД: after the rollback, schema and every table's fingerprint equal the pre-migration snapshot."""
    assert rollback_record.completed, rollback_record.describe()
    after = snapshot_of(settings.dsn(), settings.target)
    differences = rollback_pre_snapshot.diff(after)
    assert not differences, f"{len(differences)} difference(s) from the pre-migration snapshot: " + "; ".join(
        differences[:20]
    )
    check_message(f"{len(after.tables)} tables, schema and content equal to the pre-migration snapshot "
                  f"({rollback_record.db_state})")


@pytest.mark.check("RBK-02", severity="high")
def test_rollback_within_its_budget(rollback_record: RollbackRecord, check_message: MessageReporter) -> None:
    """Ожидаемое время rollback ~15 минут: the rollback finished within its budget."""
    assert rollback_record.completed, rollback_record.describe()
    assert rollback_record.within(ROLLBACK_BUDGET_S), (
        f"rollback took {rollback_record.duration_s:.0f}s, budget {ROLLBACK_BUDGET_S}s: {rollback_record.describe()}"
    )
    check_message(f"{rollback_record.describe()}; budget {ROLLBACK_BUDGET_S // 60} min")


@pytest.mark.check("RBK-03", severity="critical")
def test_previous_release_serves_after_rollback(rollback_record: RollbackRecord, settings: Settings,
                                                check_message: MessageReporter) -> None:
    """Перезапустить приложение: the previous release answers the smoke requests over HTTP."""
    assert rollback_record.completed, rollback_record.describe()
    served = previous_release_serves(settings.base_url, settings.api_prefix, smoke_paths(settings.rollback_smoke_paths),
                                     wait_s=settings.rollback_smoke_wait_s)
    assert served, "; ".join(served.problems)
    check_message(f"{settings.base_url}: {served.describe()}")
