"""Step 4: Run Django Migrations — the plan is the release's, the SQL is linted, protected tables survive."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gate.db.snapshot import Snapshot
from gate.migrations.lint import apply_waivers, lint_sql, load_waivers
from gate.migrations.plan import capture_sql, compare_plan, pending_migrations
from gate.report.attach import attach_file, attach_text
from gate.window.runner import PROTECTED_BEFORE

if TYPE_CHECKING:
    from disposable_pg import DisposablePostgres
    from gate.backup import Backup
    from gate.db.target import TargetDb
    from gate.fixtures import MessageReporter
    from gate.run import Run
    from gate.settings import Settings
    from gate.target_fixtures import TargetAnswers, TrialStarter


@pytest.fixture(scope="module")
def pending_before(settings: Settings, target_answers: TargetAnswers) -> list[str]:
    """The pending migrations before migrate (one showmigrations --plan for MIG-01 and MIG-03)."""
    return pending_migrations(settings, target_answers.get("showmigrations", None))


@pytest.mark.check("MIG-01", severity="critical")
def test_pending_migrations_are_the_expected_plan(settings: Settings, run: Run, pending_before: list[str],
                                                  check_message: MessageReporter) -> None:
    """showmigrations | grep "[ ]": the pending migrations are exactly the release's plan (EXPECTED_PLAN)."""
    pending = pending_before
    (run.dir / "pending_before.txt").write_text("\n".join(pending) + "\n")
    findings = compare_plan(pending, settings.expected_plan)
    assert not findings, "; ".join(findings)
    check_message(f"{len(pending)} pending = expected: {', '.join(pending)}")


@pytest.mark.check("MIG-03", severity="high")
def test_pending_migration_sql_captured_and_linted(settings: Settings, run: Run, pending_before: list[str],
                                                   target_answers: TargetAnswers,
                                                   check_message: MessageReporter) -> None:
    """The SQL of every pending migration (sqlmigrate) is captured and linted; waivers recorded."""
    pending = pending_before
    out_dir = run.dir / "migrations"
    out_dir.mkdir(exist_ok=True)
    waivers = load_waivers(settings.migration_waivers)
    findings = []
    for name, sql in capture_sql(settings, pending, target_answers.get("sqlmigrate", None)).items():
        (out_dir / f"{name}.sql").write_text(sql)
        findings += apply_waivers(lint_sql(name, sql), waivers)
    (out_dir / "lint.txt").write_text("\n".join(f.line() for f in findings) + "\n")
    for path in sorted(out_dir.glob("*.sql")):
        attach_file(path)
    attach_file(out_dir / "lint.txt", "MIG-03 findings (with waivers)")
    open_findings = [f for f in findings if not f.waived]
    assert not open_findings, "; ".join(f.line() for f in open_findings[:10])
    check_message(f"{len(pending)} migration(s) captured, {len(findings)} finding(s), all waived"
                  if findings else f"{len(pending)} migration(s) captured, no finding")


@pytest.mark.check("MIG-05", severity="critical")
def test_trial_migration_on_a_restored_copy_leaves_protected_tables(settings: Settings, run: Run,
                                                                    pending_before: list[str], backup: Backup,
                                                                    disposable_pg: DisposablePostgres,
                                                                    trial_starter: TrialStarter,
                                                                    check_message: MessageReporter) -> None:
    """The pending migrations, run with the release's code on a restored copy of this run's verified backup:
    no protected table changes (per migration), none fails, the total fits the migrate budget."""
    from gate.migrations.trial import TrialRefused, run_trial, trial_json
    from gate.window.budgets import budgets_from
    from gate.window.guard import backup_verified

    missing = backup_verified(run)  # BKP-01..03: the file is this run's, readable, intact; the copy is made here
    unverified = [m for m in missing if not m.startswith("BKP-04")]
    assert not unverified, "no verified backup in this run to try the migrations on: " + "; ".join(unverified)
    if not pending_before:
        check_message("no pending migration: nothing to try")
        return
    started, ahead = trial_starter.take() or (None, None)  # the copy's own plan, migrated beside the deploy probes
    try:
        trial = run_trial(settings, backup, disposable_pg, pending_before, started=started, ahead=ahead)
    except TrialRefused as exc:
        pytest.fail(f"trial migration refused: {exc}", pytrace=False)
    out_dir = run.dir / "migrations"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "trial.json").write_text(trial_json(trial))
    attach_file(out_dir / "trial.json", "MIG-05 trial migration on the backup's copy")
    budget = budgets_from(settings.runbook).get("migrate")
    findings = trial.findings(list(settings.protected_tables), budget)
    assert not findings, "; ".join(findings)
    check_message(f"{len(pending_before)} migration(s) tried on a copy of the backup in {trial.duration_s:.1f}s "
                  f"(budget {budget}s, {'copy of BKP-04s restore' if trial.copy_of else 'restore'} "
                  f"{trial.restore_s:.1f}s): protected tables unchanged"
                  + (" (BKP-04 did not pass: the copy's fidelity is unproven)" if missing else ""))


@pytest.mark.check("MIG-04", severity="critical")
def test_protected_tables_unchanged_by_migrate(settings: Settings, run: Run, target_db: TargetDb,
                                               check_message: MessageReporter) -> None:
    """Protected tables fingerprinted right before and right after migrate: migrate itself changed none."""
    path = run.dir / PROTECTED_BEFORE
    assert path.exists(), f"no {PROTECTED_BEFORE} in the run: the migrate step did not fingerprint before"
    before = Snapshot.load(path)
    after = target_db.snapshot(list(before.tables))
    differences = before.diff(after, content_only=True)
    attach_text("\n".join(differences) or "no difference", "protected tables: before vs after migrate")
    assert not differences, "migrate changed protected tables: " + "; ".join(differences)
    check_message(f"{len(before.tables)} protected tables identical before/after migrate")


@pytest.mark.check("MIG-02", severity="critical")
def test_no_pending_migrations_after_migrate(settings: Settings, run: Run, target_db: TargetDb,
                                            check_message: MessageReporter) -> None:
    """showmigrations | grep "[ ]" after migrate: empty output (the release's plan against django_migrations;
    showmigrations itself when one is missing there or the plan is not known)."""
    from gate.migrations.plan import pending_now
    from gate.target_fixtures import release_plan

    pending, how = pending_now(settings, release_plan(settings, run), target_db.applied_migrations)
    assert not pending, f"still pending after migrate: {', '.join(pending)}"
    check_message(f"no pending migration ({how})")
