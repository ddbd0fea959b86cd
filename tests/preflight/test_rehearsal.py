"""Pre-Migration Checklist: staging migration and rollback rehearsed for this release, recently."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gate.expect import no_findings
from gate.preflight.rehearsal import RehearsalRecord
from gate.run import NOT_APPLICABLE

if TYPE_CHECKING:
    from datetime import datetime

    from gate.settings import Settings


@pytest.fixture
def rehearsal(settings: Settings) -> RehearsalRecord:
    if settings.rehearsal_of:
        pytest.skip(f"{NOT_APPLICABLE}: this run is the staging rehearsal itself ({settings.rehearsal_of})")
    if settings.rehearsal_summary is None:
        pytest.skip(
            "REHEARSAL_SUMMARY not set: attach the staging rehearsal's summary.json or confirm "
            "a GO rehearsal of this release by hand"
        )
    return RehearsalRecord(settings.rehearsal_summary)


@pytest.mark.check("PRE-03", severity="critical")
def test_staging_migration_rehearsed(rehearsal: RehearsalRecord, settings: Settings, now: datetime) -> None:
    """Staging миграция протестирована: a GO rehearsal of this release within REHEARSAL_MAX_AGE_DAYS."""
    no_findings(rehearsal.problems(settings.release_tag, settings.rehearsal_max_age_days, now), "staging rehearsal")


@pytest.mark.check("PRE-04", severity="critical")
def test_rollback_rehearsed_on_staging(rehearsal: RehearsalRecord) -> None:
    """Rollback процедура протестирована на staging: that rehearsal's RBK checks passed."""
    assert rehearsal.exists, f"no rehearsal record at {rehearsal.path}"
    no_findings(rehearsal.rollback_problems(), "rehearsed rollback")
