"""Pre-Migration Checklist: stories 13.1–13.3 have gate PASS; CI is green for the release."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gate.expect import no_findings
from gate.preflight.ci import CiStatus
from gate.preflight.qa import QaGates
from gate.settings import REPO

if TYPE_CHECKING:
    from gate.fixtures import MessageReporter
    from gate.settings import Settings


@pytest.mark.check("PRE-01", severity="critical")
def test_stories_have_qa_gate_pass(settings: Settings, check_message: MessageReporter) -> None:
    """Stories 13.1, 13.2, 13.3 завершены и имеют gate PASS (QA gate files, path configurable)."""
    if not settings.is_bundled and settings.qa_gates_dir.resolve().is_relative_to(REPO):
        pytest.skip(f"no QA gate files of this target: QA_GATES_DIR is the gate's own {settings.qa_gates_dir}; "
                    "set QA_GATES_DIR to the release's QA gate files, or confirm by hand that stories "
                    f"{', '.join(settings.qa_gate_stories)} have gate PASS")
    gates = QaGates(settings.qa_gates_dir)
    no_findings(gates.failing(settings.qa_gate_stories), "QA gates")
    check_message(f"gate PASS: {', '.join(settings.qa_gate_stories)} ({settings.qa_gates_dir})")


@pytest.mark.check("PRE-02", severity="critical")
def test_ci_green_for_release_commit(settings: Settings, check_message: MessageReporter) -> None:
    """GitHub Actions CI зелёный (CI status API for the release commit)."""
    if not (settings.ci_repo and settings.ci_token):
        pytest.skip(
            "CI status not configured (CI_REPO, CI_TOKEN): confirm by hand that CI is green "
            f"for {settings.release_commit or settings.release_tag}"
        )
    ref = settings.release_commit or settings.release_tag
    status = CiStatus(settings.ci_api_url, settings.ci_repo, settings.ci_token.get_secret_value(), ref)
    no_findings(status.problems(), f"CI of {settings.ci_repo}@{ref}")
    check_message(f"CI green for {settings.ci_repo}@{ref}")
