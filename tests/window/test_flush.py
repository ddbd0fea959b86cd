"""Step 6: Flush Old Products — the dry run touches only product tables; after it they are empty."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import pytest

from gate.report.attach import attach_json, attach_text
from gate.window.facts import flush_plan_findings, read_json

if TYPE_CHECKING:
    from pathlib import Path

    from gate.db.snapshot import Snapshot
    from gate.db.target import TargetDb
    from gate.fixtures import MessageReporter
    from gate.run import Run
    from gate.settings import Settings
    from gate.window.facts import FlushPlan


@pytest.mark.check("FLS-01", severity="critical")
def test_flush_dry_run_deletes_only_product_tables(settings: Settings, run: Run,
                                                   check_message: MessageReporter) -> None:
    """flush_products --dry-run: what will be deleted, and no protected table is touched.

    The gate's own evidence first: the closure of foreign keys into the product tables, read from
    the catalog, with the rows each would delete, null or block on (gate/db/blast.py). The app's
    dry run, whatever form it prints, is recorded beside it; when it is machine-readable its plan
    is checked too (a relation only the app knows, without a database constraint).
    """
    import json

    from gate.db.blast import as_json, blast_radius, findings
    from gate.db.readonly import connect_readonly

    assert settings.database_url is not None, "DATABASE_URL is not set: the flush's blast radius cannot be read"
    with connect_readonly(settings.dsn()) as conn:
        radius = blast_radius(conn, settings.product_tables)
    (run.dir / "flush_blast_radius.json").write_text(json.dumps(as_json(radius), indent=1))
    attach_text("\n".join(r.describe() for r in radius) or "no foreign key into the product tables",
                "flush blast radius (database foreign keys)")
    problems = findings(radius, settings.protected_tables)
    app_output = app_dry_run(run.dir)
    try:
        plan = read_json(run.dir / "flush_plan.json")
    except ValueError:  # the app printed text: recorded beside the gate's evidence, not parsed
        plan = None
    plan = plan if isinstance(plan, dict) else None
    if plan is not None:
        attach_json(plan, "flush dry-run plan (the app's)")
        problems += flush_plan_findings(cast("FlushPlan", plan), settings.protected_tables, settings.product_tables)
    elif app_output:
        attach_text(app_output, "flush dry run (the app's output, text)")
    assert not problems, "; ".join(problems)
    reached = ", ".join(f"{r.table}={r.rows} ({r.action})" for r in radius if r.rows) or "no other table"
    app = ("app's plan: " + ", ".join(f"{t}={n}" for t, n in plan.get("deleted", {}).items()) if plan is not None
           else "app's dry run recorded as text" if app_output else "no app dry run recorded")
    check_message(f"foreign keys into {', '.join(settings.product_tables)} reach {reached}; {app}")


def app_dry_run(run_dir: Path) -> str:
    """What the app's dry run printed (``flush_plan.json`` when it wrote one, else the step's log)."""
    for path in (run_dir / "flush_plan.json", run_dir / "steps" / "flush_dry_run.log"):
        if path.exists() and path.read_text(errors="replace").strip():
            return path.read_text(errors="replace")
    return ""


@pytest.mark.check("FLS-02", severity="critical")
def test_after_flush_no_products_and_protected_unchanged(settings: Settings, target_db: TargetDb,
                                                         pre_snapshot: Snapshot,
                                                         check_message: MessageReporter) -> None:
    """After flush_products --confirm: no products or variants left; protected tables = pre-migration snapshot."""
    left = {t: target_db.count(t) for t in settings.product_tables}
    assert not any(left.values()), f"rows left after the flush: {left}"
    protected = [t for t in settings.protected_tables if t in pre_snapshot.tables]
    now = target_db.snapshot(protected, settings.volatile_map)
    differences = pre_snapshot.only(protected).diff(now, content_only=True)
    attach_text("\n".join(differences) or "no difference", "protected tables vs the pre-migration snapshot")
    assert not differences, "protected tables changed: " + "; ".join(differences)
    check_message(f"product tables empty; {len(protected)} protected tables unchanged")
