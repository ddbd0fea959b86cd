"""``showmigrations --plan`` read as data: which migrations are applied and which are pending.

>>> parse_plan("[X]  products.0001_initial\\n[ ]  products.0002_colormapping_productvariant\\n")
[('products.0001_initial', True), ('products.0002_colormapping_productvariant', False)]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from gate import probes
from gate.settings import Settings
from gate.target_cmd import run_manage

_LINE = re.compile(r"^\s*\[(?P<mark>[ X-])\]\s+(?P<name>[\w.]+)")


class PlanUnavailable(RuntimeError):
    """``showmigrations --plan`` failed on the target; the message carries its output tail."""


def parse_plan(text: str) -> list[tuple[str, bool]]:
    """``(app.name, applied)`` for each plan line, in plan order."""
    out = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match:
            out.append((match["name"], match["mark"] == "X"))
    return out


def pending_migrations(settings: Settings, plan: object = None) -> list[str]:
    """The target's pending migrations in plan order (``manage.py showmigrations --plan``; ``plan``: the
    ``showmigrations`` probe's answer, that command's text, already read in a shared process)."""
    if isinstance(plan, str):
        return [name for name, applied in parse_plan(plan) if not applied]
    proc = run_manage(settings, "showmigrations", "--plan")
    if proc.returncode != 0:
        raise PlanUnavailable(f"showmigrations --plan exited {proc.returncode}: {(proc.stderr or proc.stdout)[-800:]}")
    return [name for name, applied in parse_plan(proc.stdout) if not applied]


def pending_now(settings: Settings, plan: list[str] | None, applied: Callable[[], Iterable[str]]) -> tuple[list[str], str]:
    """The target's pending migrations now, and how that is known.

    With the release's plan (``app.name`` in plan order, from its ``showmigrations --plan`` after the
    deploy: ``gate.target_fixtures.release_plan``) each migration is looked up in ``django_migrations``
    (``applied``): no Django start. When one is missing there, or no plan is known, ``showmigrations
    --plan`` decides: Django's own word, and the message it always gave.

    >>> pending_now(Settings(), ["a.0001_x", "a.0002_y"], lambda: ["a.0001_x", "a.0002_y", "b.0001_z"])
    ([], "all 2 migrations of the release's plan are in django_migrations")
    """
    if plan:
        done = set(applied())
        if all(name in done for name in plan):
            return [], f"all {len(plan)} migrations of the release's plan are in django_migrations"
    return pending_migrations(settings), "showmigrations --plan"


def compare_plan(pending: list[str], expected: list[str]) -> list[str]:
    """MIG-01's findings: unexpected pending migrations and expected ones that are not pending.

    >>> compare_plan(["products.0002_a", "orders.0002_cleanup"], ["products.0002_a"])
    ['unexpected pending migration orders.0002_cleanup']
    """
    out = [f"unexpected pending migration {m}" for m in pending if m not in expected]
    out += [f"expected migration {m} is not pending (applied already, or missing from the release)"
            for m in expected if m not in pending]
    return out


def capture_sql(settings: Settings, names: list[str], answered: object = None) -> dict[str, str]:
    """``sqlmigrate`` of every migration in ``names``, in one manage.py process (per-call fallback);
    ``answered``: the ``sqlmigrate`` probe's answer already (from a shared process), used for the names it has."""

    out: dict[str, str] = {}
    if isinstance(answered, dict):
        out = {str(k): str(v) for k, v in answered.items() if k in names and v is not None}
    missing = [name for name in names if name not in out]
    if missing:
        proc = run_manage(settings, "shell", "-c", probes.source("sqlmigrate", missing))
        said = probes.answer(proc.stdout)
        if isinstance(said, dict):
            out.update({str(k): str(v) for k, v in said.items() if v is not None})
    out = {name: out[name] for name in names if name in out}  # plan order
    for name in names:
        if name not in out:
            app, _, migration = name.partition(".")
            proc = run_manage(settings, "sqlmigrate", app, migration)
            if proc.returncode != 0:
                raise PlanUnavailable(f"sqlmigrate {app} {migration} exited {proc.returncode}: {proc.stderr[-500:]}")
            out[name] = proc.stdout
    return out
