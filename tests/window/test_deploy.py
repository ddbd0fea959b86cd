"""Step 3: Deploy New Code — the release's code is deployed, its requirements hold, the runbook fits it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gate.window.deployed import deployed_release, expected_release, requirements_check, same_release
from gate.window.window_manifest import window_lines

if TYPE_CHECKING:
    from gate.fixtures import MessageReporter
    from gate.runbook import LineReport, Linter
    from gate.settings import Settings
    from gate.target_fixtures import TargetAnswers


@pytest.mark.check("DEP-01", severity="critical")
def test_code_at_release_tag_and_requirements_satisfied(settings: Settings, target_answers: TargetAnswers,
                                                        check_message: MessageReporter) -> None:
    """git checkout <tag> + pip install -r requirements.txt: code at RELEASE_TAG (or RELEASE_COMMIT), requirements
    satisfied in the target's interpreter."""
    release = deployed_release(settings)
    expected, name = expected_release(settings)
    assert same_release(release.tag, expected), (
        f"deployed release is {release.tag or '(unknown)'} ({release.how}), expected {name}={expected}")
    ok, detail = requirements_check(settings, target_answers.get("interpreter", {}) if settings.manage_cmd else None)
    if ok is None:
        pytest.skip(f"deployed release {release.tag} ({release.how}); {detail}")
    assert ok, f"requirements not satisfied: {detail}"
    check_message(f"{release.tag} ({release.how}); {detail}")


@pytest.fixture(scope="module")
def window_report(linter: Linter, target_answers: TargetAnswers) -> list[LineReport]:
    lines = window_lines()
    linter.prepare(lines, target_answers.get("introspect", linter.probe_input(lines)))
    return [linter.lint_line(line) for line in lines]


def _drift(reports: list[LineReport], kind: str) -> list[str]:
    return [f"{r.text[:80]}: {r.detail}" for r in reports if r.status == "drift" and kind in r.detail]


@pytest.mark.check("RUN-01", severity="critical")
def test_every_management_command_and_option_exists(window_report: list[LineReport],
                                                    check_message: MessageReporter) -> None:
    """Every manage.py command and option the window's steps use parses on the deployed release (help)."""
    bad = _drift(window_report, "manage.py") + _drift(window_report, "import")
    assert not bad, "; ".join(bad)
    check_message(f"{sum('manage.py' in r.detail for r in window_report)} manage.py lines parse")


@pytest.mark.check("RUN-02", severity="critical")
def test_every_script_and_tool_exists_with_a_fitting_version(window_report: list[LineReport],
                                                             check_message: MessageReporter) -> None:
    """Every script and shell tool the steps call exists, is executable, its version fits."""
    bad = [f"{r.text[:80]}: {r.detail}" for r in window_report
           if r.status == "drift" and "manage.py" not in r.detail and " → " not in r.detail
           and "does not resolve" not in r.detail]
    assert not bad, "; ".join(bad)
    manual = [r.detail for r in window_report if r.status == "manual"]
    if manual:
        pytest.skip("; ".join(manual))
    check_message("scripts and tools present: " + ", ".join(
        sorted({r.detail.split(" (")[0] for r in window_report if r.status == "covered" and "manage.py" not in r.detail
                and "/" not in r.detail.split(" ")[0]})))


@pytest.mark.check("RUN-03", severity="critical")
def test_every_api_route_resolves(window_report: list[LineReport], check_message: MessageReporter) -> None:
    """Every API route the postflight and smoke use resolves (URL resolver, not HTTP: maintenance is on)."""
    bad = _drift(window_report, "does not resolve")
    assert not bad, "; ".join(bad)
    check_message(f"{sum(' → ' in r.detail for r in window_report)} routes resolve")
