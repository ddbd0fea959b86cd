"""Plan and perform the catalog flush of runbook step 6 with Django's deletion Collector.

The plan is what ``Product.objects.all().delete()`` would do, every cascade included, so a new
relation that cascades into orders or carts shows up in the dry run before anything is deleted.
Kept: color_mappings, categories, brands, import_sessions (the full import upserts categories and
brands by 1C id) and every protected table. Nothing here imports the API.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.db.models import Model, ProtectedError, QuerySet, RestrictedError
from django.db.models.deletion import Collector

from apps.products.models import Product


class FlushRefused(Exception):
    """The flush would touch a protected table or is blocked by a PROTECT/RESTRICT relation."""


@dataclass(frozen=True, slots=True)
class FlushPlan:
    """Rows per table a flush deletes (and SET_NULL-style updates), plus protected tables reached."""

    deleted: dict[str, int]
    updated: dict[str, int] = field(default_factory=dict)
    blocked_by: tuple[str, ...] = ()
    protected_tables: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(self.deleted.values())

    @property
    def protected_touched(self) -> list[str]:
        """Protected tables the flush would delete from or update (must be empty)."""
        return sorted(t for t in {*self.deleted, *self.updated} if t in self.protected_tables)

    @property
    def is_safe(self) -> bool:
        return not self.protected_touched and not self.blocked_by

    def as_dict(self) -> dict[str, object]:
        return {
            "deleted": dict(self.deleted),
            "updated": dict(self.updated),
            "total": self.total,
            "protected_tables": list(self.protected_tables),
            "protected_touched": self.protected_touched,
            "blocked_by": list(self.blocked_by),
            "safe": self.is_safe,
        }


def _table(model: type[Model]) -> str:
    return model._meta.db_table


def _collect(using: str) -> tuple[Collector, tuple[str, ...]]:
    collector = Collector(using=using)
    try:
        collector.collect(Product.objects.using(using).all())
    except (ProtectedError, RestrictedError) as exc:
        objs = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        return collector, tuple(sorted({_table(type(obj)) for obj in objs}))
    return collector, ()


def _plan_from(collector: Collector, blocked_by: tuple[str, ...]) -> FlushPlan:
    deleted: Counter[str] = Counter({_table(Product): 0})
    for model, instances in collector.data.items():
        deleted[_table(model)] += len(instances)
    for qs in collector.fast_deletes:
        deleted[_table(qs.model)] += qs.count()
    updated: Counter[str] = Counter()
    for (fld, _value), batches in collector.field_updates.items():
        for objs in batches:
            rows = objs.count() if isinstance(objs, QuerySet) and objs._result_cache is None else len(objs)
            updated[_table(fld.model)] += rows
    protected = tuple(getattr(settings, "PROTECTED_TABLES", ()))
    return FlushPlan(dict(sorted(deleted.items())), dict(sorted(updated.items())), blocked_by, protected)


def plan_flush(using: str | None = None) -> FlushPlan:
    """What a flush would delete right now, per table; deletes nothing.

    >>> plan_flush().deleted
    {'product_variants': 5400, 'products': 1200}
    """
    using = using or router.db_for_write(Product) or DEFAULT_DB_ALIAS
    with transaction.atomic(using=using):
        return _plan_from(*_collect(using))


def flush_products(using: str | None = None) -> FlushPlan:
    """Delete every product (variants cascade) in one transaction; refuse if the plan is unsafe."""
    using = using or router.db_for_write(Product) or DEFAULT_DB_ALIAS
    with transaction.atomic(using=using):
        collector, blocked_by = _collect(using)
        plan = _plan_from(collector, blocked_by)
        if not plan.is_safe:
            reasons = []
            if plan.protected_touched:
                reasons.append("it would delete or update rows of protected tables " + ", ".join(plan.protected_touched))
            if plan.blocked_by:
                reasons.append("PROTECT/RESTRICT relations from " + ", ".join(plan.blocked_by) + " block it")
            raise FlushRefused("; ".join(reasons))
        collector.delete()
    return plan
