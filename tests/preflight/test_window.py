"""Deployment Window: 2:00–4:00 MSK, and the runbook's remaining steps fit before it closes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gate.checks import STEP_BUDGETS_S
from gate.preflight.window_hours import window_of

if TYPE_CHECKING:
    from datetime import datetime

    from gate.fixtures import MessageReporter
    from gate.settings import Settings


@pytest.mark.check("PRE-07", severity="high")
def test_inside_window_and_steps_fit(settings: Settings, now: datetime,
                                     check_message: MessageReporter) -> None:
    """Рекомендуемое время 2:00 AM - 4:00 AM MSK: inside the window, the timetable fits before it closes."""
    window = window_of(settings)
    budget = sum(STEP_BUDGETS_S.values())
    assert window.contains(now), f"outside the deployment window: {window.describe(now)}"
    remaining = window.remaining_s(now)
    assert budget <= remaining, (
        f"the remaining steps need {budget / 60:.0f} min, the window closes in {remaining / 60:.0f} min "
        f"({window.describe(now)})"
    )
    check_message(f"{window.describe(now)}; steps need {budget / 60:.0f} min")
