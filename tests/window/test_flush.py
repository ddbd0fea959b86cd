"""Step 6: Flush Old Products — the dry run touches only product tables; after it they are empty."""

from __future__ import annotations

import pytest

from gate.report.attach import attach_json, attach_text
from gate.steps.facts import flush_plan_findings, read_json


@pytest.mark.check("FLS-01", severity="critical")
def test_flush_dry_run_deletes_only_product_tables(settings, run, check_message):
    """flush_products --dry-run: what will be deleted, and no protected table is touched."""
    plan = read_json(run.dir / "flush_plan.json")
    assert plan is not None, "no flush_plan.json in the run: the dry run has not run"
    attach_json(plan, "flush dry-run plan")
    findings = flush_plan_findings(plan, settings.protected_tables, settings.product_tables)
    assert not findings, "; ".join(findings)
    check_message("would delete " + ", ".join(f"{t}={n}" for t, n in plan.get("deleted", {}).items()))


@pytest.mark.check("FLS-02", severity="critical")
def test_after_flush_no_products_and_protected_unchanged(settings, target_db, pre_snapshot, check_message):
    """After flush_products --confirm: no products or variants left; protected tables = pre-migration snapshot."""
    from gate.steps.fixtures import count

    left = {t: count(target_db, t) for t in settings.product_tables}
    assert not any(left.values()), f"rows left after the flush: {left}"
    protected = [t for t in settings.protected_tables if t in pre_snapshot.tables]
    now = target_db.snapshot(protected, settings.volatile_map)
    differences = pre_snapshot.only(protected).diff(now, content_only=True)
    attach_text("\n".join(differences) or "no difference", "protected tables vs the pre-migration snapshot")
    assert not differences, "protected tables changed: " + "; ".join(differences)
    check_message(f"product tables empty; {len(protected)} protected tables unchanged")
