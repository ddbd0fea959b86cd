"""The crash matrix, one case per kind (``make crash-matrix`` runs them all; docs/crash-matrix.md has the table).

A window killed with ``kill -9`` at the start of the import, then the resume it proposes: GO, the
protected tables identical to the pre-migration snapshot, the catalog counts right. A swap-mode
rollback killed mid-restore (its new copy created), then run again: the database equals the
pre-migration snapshot, the killed attempt's record is kept, no partial copy is left.
"""

from __future__ import annotations

from pathlib import Path

from rehearse.crash import ROLLBACK_PHASES, WINDOW_KILL_POINTS, rollback_cases, select, window_case


def test_the_matrix_covers_every_step_and_every_rollback_phase() -> None:
    window, rollback = select(None)
    assert window[0] == "backup" and "flush_dry_run" in window and window[-1] == "smoke"
    assert window == list(WINDOW_KILL_POINTS) and rollback == ROLLBACK_PHASES


def test_window_killed_at_the_import_resumes_to_go(tmp_path: Path) -> None:
    case = window_case("import", tmp_path / "window")
    assert case.proposed == "make migrate FROM=import"
    assert case.ok, case


def test_rollback_killed_mid_restore_runs_again_to_the_pre_migration_state(tmp_path: Path) -> None:
    cases = list(rollback_cases({"swap": ("restore:copy",), "recreate": ("restore:dropped",)}, tmp_path / "rb"))
    assert [c.point for c in cases] == ["swap:restore:copy", "recreate:restore:dropped"]
    assert all(c.ok for c in cases), cases
