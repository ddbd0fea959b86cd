"""Delete the catalog before a full 1C re-import (runbook step 6); keeps orders, carts, users.

``--dry-run`` prints what would be deleted per table, cascades included (the ``sqlflush``
analogue the gate's FLS-01 reads, ``--format json`` for machines). ``--confirm`` deletes in one
transaction after a typed ``yes`` unless ``--skip-interactive``; it refuses when the plan reaches
a protected table (settings.PROTECTED_TABLES). Unlike Saleor's ``cleardb`` there is no DEBUG guard:
the runbook runs it on production, and ``--confirm`` is the guard.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.products.services.flush import FlushPlan, FlushRefused, flush_products, plan_flush

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Delete all products and their variants (cascades included) before a full 1C import."

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true", help="print per-table row counts; delete nothing")
        mode.add_argument("--confirm", action="store_true", help="really delete (one transaction)")
        parser.add_argument("--skip-interactive", action="store_true", help="with --confirm: no typed 'yes' prompt")
        parser.add_argument("--format", choices=["text", "json"], default="text", help="report format")
        parser.add_argument("--database", default=None, help="database alias (default: the products router's)")

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        if not options["dry_run"] and not options["confirm"]:
            raise CommandError(
                "Nothing done: run 'flush_products --dry-run' to see what would be deleted, "
                "then 'flush_products --confirm' to delete it."
            )
        plan = plan_flush(using)
        if options["dry_run"]:
            self._report(plan, dry_run=True, fmt=options["format"])
            return
        if not plan.is_safe:
            self._report(plan, dry_run=True, fmt=options["format"])
            raise CommandError(self._refusal(plan))
        if not options["skip_interactive"]:
            self._ask(plan)
        try:
            done = flush_products(using)
        except FlushRefused as exc:
            raise CommandError(f"Flush refused, nothing deleted: {exc}") from exc
        logger.info("flush_products deleted %s rows: %s", done.total, done.deleted)
        self._report(done, dry_run=False, fmt=options["format"])

    def _ask(self, plan: FlushPlan) -> None:
        prompt = f"This deletes {plan.total} rows ({self._summary(plan)}). Type 'yes' to continue: "
        try:
            answer = input(prompt)
        except EOFError:
            answer = ""
        if answer.strip().lower() != "yes":
            raise CommandError("Flush cancelled, nothing deleted (use --skip-interactive in scripts).")

    @staticmethod
    def _summary(plan: FlushPlan) -> str:
        return ", ".join(f"{table}={rows}" for table, rows in plan.deleted.items())

    @staticmethod
    def _refusal(plan: FlushPlan) -> str:
        parts = []
        if plan.protected_touched:
            parts.append(f"the flush would touch protected tables: {', '.join(plan.protected_touched)}")
        if plan.blocked_by:
            parts.append(f"PROTECT/RESTRICT relations from {', '.join(plan.blocked_by)} block it")
        return (
            "Flush refused, nothing deleted: " + "; ".join(parts)
            + ". Fix the relation (keep a 1C id/SKU snapshot instead of a FK) and re-run 'flush_products --dry-run'."
        )

    def _report(self, plan: FlushPlan, dry_run: bool, fmt: str) -> None:
        if fmt == "json":
            self.stdout.write(json.dumps({"dry_run": dry_run, **plan.as_dict()}, ensure_ascii=False))
            return
        header = "Dry run: nothing deleted. Would delete:" if dry_run else "Deleted:"
        width = max(len(t) for t in [*plan.deleted, *plan.updated, "total"])
        lines = [header, f"  {'table'.ljust(width)}  rows"]
        lines += [f"  {table.ljust(width)}  {rows}" for table, rows in plan.deleted.items()]
        lines.append(f"  {'total'.ljust(width)}  {plan.total}")
        if plan.updated:
            lines.append("Would update (SET_NULL/SET_DEFAULT):" if dry_run else "Updated:")
            lines += [f"  {table.ljust(width)}  {rows}" for table, rows in plan.updated.items()]
        touched = ", ".join(plan.protected_touched) or "none"
        lines.append(f"Protected tables touched: {touched}")
        if plan.blocked_by:
            lines.append(f"Blocked by PROTECT/RESTRICT from: {', '.join(plan.blocked_by)}")
        self.stdout.write("\n".join(lines))
