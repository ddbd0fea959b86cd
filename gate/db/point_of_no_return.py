"""Has the target passed the point of no return? Read from the target itself, not only from the journal.

The journal knows what the window ran. A ``migrate`` run by hand, outside the window, leaves no
journal entry, yet from then on only the backup brings the old state back. The target knows: its
``django_migrations`` holds rows that the pre-migration snapshot (taken in the dump's exported
snapshot) did not. When it does, ``RUN_DIR/point_of_no_return.json`` records what was found, and
``Run.destructive_started()`` reads it: the verdict turns from NO-GO to the post-destructive matrix.

>>> passed_on_target("postgresql://…", run.dir)   # doctest: +SKIP
['products.0002_colormapping_productvariant', ...]
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from gate.db.fingerprint import applied_migrations
from gate.db.readonly import connect_readonly

RECORD = "point_of_no_return.json"
PRE_SNAPSHOT = "pre_snapshot.json"


def applied_since_backup(dsn: str, run_dir: Path) -> list[str] | None:
    """Migrations applied on the target that the pre-migration snapshot does not hold (``None``: unknown)."""
    pre = run_dir / PRE_SNAPSHOT
    if not pre.exists():
        return None
    before = set(json.loads(pre.read_text()).get("migrations", []))
    try:
        with connect_readonly(dsn) as conn:
            now = applied_migrations(conn)
    except Exception:  # noqa: BLE001 - an unreachable target is other checks' finding, not this fact's
        return None
    return [m for m in now if m not in before]


def record_if_passed(dsn: str | None, run_dir: Path) -> list[str]:
    """Write ``point_of_no_return.json`` when the target shows migrations applied since the backup."""
    if dsn is None:
        return []
    new = applied_since_backup(dsn, run_dir) or []
    if new:
        with contextlib.suppress(OSError):
            (run_dir / RECORD).write_text(json.dumps(
                {"source": "target", "applied_since_backup": new,
                 "why": "the target's django_migrations holds migrations the pre-migration snapshot does not"},
                indent=1))
    return new


def recorded(run_dir: Path) -> bool:
    """The run has found the target past the point of no return."""
    return (run_dir / RECORD).exists()
