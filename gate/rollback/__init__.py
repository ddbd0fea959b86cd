"""The way back: the rollback script's record, its checks (RBK-*) and the reverse-migration trial.

>>> record = RollbackRecord.of_run(run)                        # doctest: +SKIP
>>> assert record.completed and record.within(ROLLBACK_BUDGET_S)  # doctest: +SKIP
"""

from __future__ import annotations

from gate.rollback.record import ROLLBACK_RECORD, RollbackRecord
from gate.rollback.script import ROLLBACK_SCRIPT, RollbackRun, run_rollback_script
from gate.rollback.smoke import SmokeResult, previous_release_serves

__all__ = [
    "ROLLBACK_RECORD",
    "ROLLBACK_SCRIPT",
    "RollbackRecord",
    "RollbackRun",
    "SmokeResult",
    "previous_release_serves",
    "run_rollback_script",
]
