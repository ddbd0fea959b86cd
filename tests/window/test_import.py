"""Step 7: Import from 1C — it succeeded, wrote rows, left the package untouched, kept its budget."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from gate.logs.parse import django_errors
from gate.onec.package import file_hashes
from gate.window.facts import changed_files, import_findings
from gate.window.runner import ONEC_BEFORE

if TYPE_CHECKING:
    from pathlib import Path

    from gate.db.target import TargetDb
    from gate.fixtures import MessageReporter
    from gate.onec.package import OnecPackage
    from gate.run import Run, StepRow
    from gate.settings import Settings


@pytest.mark.check("IMP-01", severity="critical")
def test_import_succeeded_and_wrote_rows(settings: Settings, target_db: TargetDb, journal: dict[str, StepRow],
                                         log_paths: dict[str, Path | None], onec_package: OnecPackage,
                                         run: Run, check_message: MessageReporter) -> None:
    """import_products_from_1c --full: exit 0, session completed, no ERROR in its log, rows written."""
    step = journal.get("import")
    assert step is not None, "the import step has not run in this run"
    assert step.get("exit_code") == 0, f"the import exited {step.get('exit_code')}: {step.get('output_tail', '')[-300:]}"
    session = target_db.latest_import_session()
    since = None
    if step.get("started_at"):
        from datetime import datetime

        since = datetime.fromisoformat(step["started_at"])
    log = log_paths["import"]
    errors = django_errors(log, since, settings.django_log_format) if log else []
    written = sum(target_db.count(t) for t in settings.product_tables)
    offers = len({o for o in onec_package.offers | onec_package.deleted_offers})
    findings = import_findings(session, errors, written, len(onec_package.files), onec_package.goods_in_package,
                               offers)
    assert not findings, "; ".join(findings)
    assert session is not None  # import_findings names a missing session
    (run.dir / "import_session.json").write_text(json.dumps(session, default=str, ensure_ascii=False, indent=1))
    check_message(f"session {session['id']} completed, {written} rows, {step['duration_s']:.1f}s")


@pytest.mark.check("IMP-03", severity="high")
def test_import_left_the_package_untouched(settings: Settings, run: Run,
                                           check_message: MessageReporter) -> None:
    """The 1C package is byte-identical after the import (sha256 of every file before = after)."""
    path = run.dir / ONEC_BEFORE
    assert path.exists(), f"no {ONEC_BEFORE}: the import step did not hash the package before"
    before = json.loads(path.read_text())
    after = file_hashes(settings.onec_data_dir)
    changed = changed_files(before, after)
    assert not changed, "the import changed the 1C package: " + "; ".join(changed[:10])
    check_message(f"{len(before)} files byte-identical" + (" (importer read a copy)" if settings.import_reads_copy
                                                            else ""))


@pytest.mark.check("IMP-02", severity="high")
def test_import_within_budget(journal: dict[str, StepRow], check_message: MessageReporter) -> None:
    """Импорт каталога из 1С: 30 min (the runbook's timetable)."""
    step = journal.get("import")
    duration = step.get("duration_s") if step is not None else None
    assert step is not None and duration is not None, "the import step has not finished in this run"
    budget = step.get("budget_s") or 1800
    assert duration <= budget, f"the import took {duration:.0f}s > budget {budget:.0f}s"
    check_message(f"{duration:.1f}s of {budget:.0f}s")
