"""The fault matrix: one fault per Rollback Decision Matrix row, each with the verdict it must give.

Faults live here, in the rehearsal harness, never in the backend's normal code paths. They
are injected through what a real failure would come through:

- the release's code: a *copy* of ``BACKEND_DIR`` gets an extra or altered migration module
  (``migration-fails``, ``missing-colors``, ``cascade-into-orders``, ``migration-deletes-orders``);
- the commands: the ``MANAGE_CMD`` wrapper ``rehearse.wrap`` (``import-fails``,
  ``protected-row-changed``), and a ``pg_dump`` wrapper in a private ``PG_BIN_DIR`` (``corrupt-backup``);
- the inputs: a truncated file in the rehearsal's *copy* of the 1C package (``truncated-1c``), its retail
  price type renamed to a name the price-type mapping does not know (``retail-type-unmapped``);
- the importer's output: the wrapper rewrites what a buggy import would leave (``prices-zeroed``: every
  price 0.00; ``stock-lost``: a third of the stock rows 0);
- the outside: a slow proxy in front of gunicorn (``slow-api``), 5xx lines appended to the
  logs once maintenance is off (``error-rate-3pct``, ``error-rate-8pct``).

>>> FAULTS["corrupt-backup"].expected
<Verdict.NO_GO: 'NO-GO'>
"""

from __future__ import annotations

import os
import random
import shutil
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final

from gate.types import Verdict


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected fault: what it breaks, the verdict the matrix demands, which checks must catch it."""

    name: str
    expected: Verdict
    what: str
    caught_by: tuple[str, ...]
    backend_patch: Callable[[Path], list[str]] | None = None
    """Alters a copy of the backend; returns migrations to add to ``EXPECTED_PLAN``."""
    env: dict[str, str] = field(default_factory=dict)
    wraps_manage: bool = False
    truncates_onec: bool = False
    onec_patch: Callable[[Path], str] | None = None
    """Alters the rehearsal's copy of the 1C package; returns what it changed (recorded)."""
    corrupts_dump: bool = False
    proxy_delay_ms: float = 0.0
    error_pct: float = 0.0
    flush_never_runs: bool = False
    order_items_kept: bool = False
    nothing_changes: bool = False
    own_server: bool = False
    """The matrix gives it a disposable server of its own instead of a database on the shared one."""


# -- backend patches (on the rehearsal's copy only) ------------------------------------------------
def _migration(backend: Path, app: str, name_prefix: str) -> Path:
    found = sorted(backend.glob(f"**/{app}/migrations/{name_prefix}*.py"))
    if not found:
        raise FileNotFoundError(f"no {app} migration {name_prefix}* under {backend}")
    return found[-1]


def _latest_migration(backend: Path, app: str) -> str:
    names = sorted(p.stem for p in backend.glob(f"**/{app}/migrations/0*.py"))
    if not names:
        raise FileNotFoundError(f"no {app} migrations under {backend}")
    return names[-1]


def _append(path: Path, code: str) -> None:
    path.write_text(path.read_text() + "\n\n" + textwrap.dedent(code).lstrip())


def _products_last(backend: Path) -> str:
    return _migration(backend, "products", os.environ.get("REHEARSAL_FAULT_MIGRATION", "0004")).stem


def patch_migration_fails(backend: Path) -> list[str]:
    """The release's last products migration raises after its schema changes (rolled back: atomic).

    It fails on the live database only, as a lock timeout under the shop's traffic would: MIG-05's
    trial on the backup's copy (a database named ``mig05_trial_…``) passes, so this stays the
    matrix's "migration failed → rollback" row rather than a NO-GO.
    """
    from gate.migrations.trial import TRIAL_DB_PREFIX

    _append(_migration(backend, "products", os.environ.get("REHEARSAL_FAULT_MIGRATION", "0004")), '''
        # --- rehearsal fault migration-fails (rehearse/faults.py): this copy only
        from django.db import migrations as _rehearsal_migrations


        def _rehearsal_fault(apps, schema_editor):
            if schema_editor.connection.settings_dict["NAME"].startswith("__PREFIX__"):
                return  # the trial copy (MIG-05): the failure is the live database's (a lock timeout under load)
            raise RuntimeError("rehearsal fault migration-fails: the release's migration breaks half-way")


        Migration.operations = [*Migration.operations, _rehearsal_migrations.RunPython(_rehearsal_fault)]
    '''.replace("__PREFIX__", TRIAL_DB_PREFIX))
    return []


def patch_missing_colors(backend: Path) -> list[str]:
    """The release's color data migration leaves only 15 of the 20 basic colors."""
    _append(_migration(backend, "products", "0003"), '''
        # --- rehearsal fault missing-colors (rehearse/faults.py): this copy only
        from django.db import migrations as _rehearsal_migrations


        def _rehearsal_drop_colors(apps, schema_editor):
            ColorMapping = apps.get_model("products", "ColorMapping")
            keep = list(ColorMapping.objects.order_by("id").values_list("id", flat=True)[:15])
            ColorMapping.objects.exclude(id__in=keep).delete()


        Migration.operations = [
            *Migration.operations,
            _rehearsal_migrations.RunPython(_rehearsal_drop_colors, _rehearsal_migrations.RunPython.noop),
        ]
    ''')
    return []


def patch_cascade_into_orders(backend: Path) -> list[str]:
    """The release links order lines to the catalog with CASCADE (by 1C id): flushing products would delete them.

    The model is unmanaged and the constraint only in Django, so ``migrate`` changes no protected
    table (MIG-04 passes) and only the flush's dry run (FLS-01) can see the cascade.
    """
    orders_models = sorted(backend.glob("**/orders/models.py"))[0]
    _append(orders_models, '''
        # --- rehearsal fault cascade-into-orders (rehearse/faults.py): this copy only
        class RehearsalOrderItemLink(models.Model):
            product = models.ForeignKey("products.Product", to_field="onec_id", db_column="onec_id",
                                        on_delete=models.CASCADE, db_constraint=False, related_name="+")

            class Meta:
                managed = False
                db_table = "order_items"
    ''')
    name = "0900_rehearsal_orderitem_catalog_link"
    previous = _latest_migration(backend, "orders")
    (orders_models.parent / "migrations" / f"{name}.py").write_text(textwrap.dedent(f'''
        """rehearsal fault cascade-into-orders (rehearse/faults.py): a careless release's relation."""
        import django.db.models.deletion
        from django.db import migrations, models


        class Migration(migrations.Migration):
            dependencies = [("orders", "{previous}"), ("products", "{_products_last(backend)}")]
            operations = [
                migrations.CreateModel(
                    name="RehearsalOrderItemLink",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        ("product", models.ForeignKey(db_column="onec_id", db_constraint=False,
                                                      on_delete=django.db.models.deletion.CASCADE,
                                                      related_name="+", to="products.product",
                                                      to_field="onec_id")),
                    ],
                    options={{"db_table": "order_items", "managed": False}},
                ),
            ]
    ''').lstrip())
    return [f"orders.{name}"]


def patch_migration_deletes_orders(backend: Path) -> list[str]:
    """The release ships a "cleanup of test orders" data migration that deletes real orders.

    Written with the ORM (``RunPython``), as such cleanups usually are: ``sqlmigrate`` shows no
    SQL for it, so MIG-03's linter cannot see it (a ``RunSQL`` DELETE is already refused there,
    before anything changes); MIG-05's trial on the backup's copy sees it before ``migrate`` (NO-GO,
    nothing changed), as MIG-04's fingerprints around the real ``migrate`` would after it.
    """
    orders_dir = sorted(backend.glob("**/orders/migrations"))[0]
    name = "0900_rehearsal_cleanup_test_orders"
    previous = _latest_migration(backend, "orders")
    (orders_dir / f"{name}.py").write_text(textwrap.dedent(f'''
        """rehearsal fault migration-deletes-orders (rehearse/faults.py): a cleanup that deletes real orders."""
        from django.db import migrations


        def cleanup_test_orders(apps, schema_editor):
            Order = apps.get_model("orders", "Order")
            doomed = [pk for pk in Order.objects.values_list("pk", flat=True) if pk % 10 == 0]
            Order.objects.filter(pk__in=doomed).delete()


        class Migration(migrations.Migration):
            dependencies = [("orders", "{previous}"), ("products", "{_products_last(backend)}")]
            operations = [migrations.RunPython(cleanup_test_orders, migrations.RunPython.noop)]
    ''').lstrip())
    return [f"orders.{name}"]


FAULTS: Final[dict[str, Fault]] = {f.name: f for f in (
    Fault("migration-fails", Verdict.ROLLBACK, "the release's migration raises half-way", ("MIG-02",),
          backend_patch=patch_migration_fails),
    Fault("import-fails", Verdict.ROLLBACK, "the 1C import fails (the database refuses its writes)", ("IMP-01",),
          wraps_manage=True),
    Fault("truncated-1c", Verdict.NO_GO, "a 1C XML file is truncated", ("ONE-03",), truncates_onec=True,
          nothing_changes=True),
    Fault("cascade-into-orders", Verdict.ROLLBACK, "a new relation makes the flush cascade into order items",
          ("FLS-01",), backend_patch=patch_cascade_into_orders, flush_never_runs=True, order_items_kept=True),
    Fault("corrupt-backup", Verdict.NO_GO, "the dump is corrupted as it is written", ("BKP-04",),
          corrupts_dump=True, nothing_changes=True, own_server=True),
    Fault("slow-api", Verdict.MONITOR, "the API answers in > 1000 ms (p95)", ("PST-08",), proxy_delay_ms=1200,
          env={"BURST_REQUESTS": "40"}),
    Fault("error-rate-3pct", Verdict.MONITOR, "3 % of requests fail after the window", ("PST-09",), error_pct=3.0),
    Fault("error-rate-8pct", Verdict.ROLLBACK, "8 % of requests fail after the window", ("PST-09",), error_pct=8.0),
    Fault("missing-colors", Verdict.HOTFIX, "the release loads 15 of the 20 basic colors", ("COL-01", "PST-03"),
          backend_patch=patch_missing_colors),
    Fault("protected-row-changed", Verdict.ROLLBACK, "one order row changes during the window", ("PST-07",),
          wraps_manage=True),
    Fault("migration-deletes-orders", Verdict.NO_GO, "a release migration deletes order rows", ("MIG-05",),
          backend_patch=patch_migration_deletes_orders, flush_never_runs=True, nothing_changes=True),
    Fault("retail-type-unmapped", Verdict.NO_GO, "the 1C retail price type has a name the mapping does not know",
          ("ONE-04",), onec_patch=lambda onec: rename_retail_type(onec), nothing_changes=True),
    Fault("prices-zeroed", Verdict.ROLLBACK, "the import writes 0.00 for every price", ("PST-11",),
          wraps_manage=True),
    Fault("stock-lost", Verdict.MONITOR, "the import loses a third of the stock rows (0 instead of the rests)",
          ("PST-12",), wraps_manage=True),
)}

TEST_SUBSET: Final[tuple[str, ...]] = ("corrupt-backup", "migration-fails", "error-rate-3pct", "missing-colors")
"""The faults ``make test`` rehearses: one per verdict (NO-GO, ROLLBACK, MONITOR, HOTFIX); GO is the plain rehearsal."""


def get(name: str) -> Fault:
    """The fault called ``name``; ``KeyError`` lists the known ones."""
    try:
        return FAULTS[name]
    except KeyError:
        raise KeyError(f"unknown fault {name!r} (known: {', '.join(FAULTS)})") from None


# -- input faults --------------------------------------------------------------------------------------
UNMAPPED_RETAIL_NAME: Final = "Цена для сайта (новая)"


def rename_retail_type(onec_dir: Path, new_name: str = UNMAPPED_RETAIL_NAME) -> str:
    """Rename every retail ``ТипЦены`` of the (copied) package to a name ``deploy/price-types.yml`` does not map."""
    import re

    from gate.onec.price_types import load_price_types
    from gate.settings import REPO

    mapping = load_price_types(REPO / "deploy" / "price-types.yml")
    block = re.compile(r"(<ТипЦены>.*?<Наименование>)([^<]*)(</Наименование>)", re.S)
    renamed: list[str] = []

    def rename(match: re.Match[str]) -> str:
        if "</ТипЦены>" in match.group(1) or mapping.column_for(match.group(2)) != mapping.retail_column:
            return match.group(0)
        renamed.append(match.group(2))
        return match.group(1) + new_name + match.group(3)

    for path in sorted(onec_dir.rglob("*.xml")):
        text = path.read_text(encoding="utf-8-sig")
        if "ТипЦены" in text:
            changed = block.sub(rename, text)
            if changed != text:
                path.write_text("\ufeff" + changed, encoding="utf-8")
    if not renamed:
        raise ValueError(f"no retail price type in {onec_dir} to rename")
    return f"retail price type {', '.join(sorted(set(renamed)))!r} renamed to {new_name!r}"


def truncate_onec(onec_dir: Path) -> Path:
    """Cut the largest XML file of the (copied) 1C package to 60 % of its bytes, mid-element."""
    files = sorted(onec_dir.rglob("*.xml"), key=lambda p: p.stat().st_size)
    if not files:
        raise FileNotFoundError(f"no XML file in {onec_dir}")
    victim = files[-1]
    size = victim.stat().st_size
    with victim.open("r+b") as fh:
        fh.truncate(int(size * 0.6))
    return victim


PG_DUMP_WRAPPER = """#!/usr/bin/env bash
# rehearsal fault corrupt-backup (rehearse/faults.py): the real pg_dump, then 4 KiB of its
# output overwritten in the middle, as a failing disk or a bad copy would leave it.
set -uo pipefail
"{real}" "$@"
rc=$?
out=""
prev=""
for arg in "$@"; do
    [[ "$prev" == "-f" ]] && out="$arg"
    [[ "$arg" == --file=* ]] && out="${{arg#--file=}}"
    prev="$arg"
done
if [[ $rc -eq 0 && -f "$out" ]]; then
    size=$(stat -c %s "$out")
    dd if=/dev/urandom of="$out" bs=1 seek=$((size / 2)) count=4096 conv=notrunc status=none
    echo "rehearsal fault corrupt-backup: 4096 bytes of $out overwritten" >&2
fi
exit $rc
"""


def pg_bin_with_corrupting_dump(real_bin: Path, into: Path) -> Path:
    """A private ``PG_BIN_DIR``: every tool of ``real_bin`` linked, ``pg_dump`` wrapped to corrupt its output."""
    into.mkdir(parents=True, exist_ok=True)
    for tool in real_bin.iterdir():
        if tool.name != "pg_dump":
            (into / tool.name).symlink_to(tool)
    wrapper = into / "pg_dump"
    wrapper.write_text(PG_DUMP_WRAPPER.format(real=real_bin / "pg_dump"))
    wrapper.chmod(0o755)
    return into


# -- log injection -------------------------------------------------------------------------------------
def error_lines(total: int, error_pct: float, seed: int = 13) -> tuple[list[str], list[str]]:
    """``(access lines, django.log ERROR lines)``: ``total`` requests of which ``error_pct`` % answered 500."""
    rng = random.Random(seed)
    errors = round(total * error_pct / 100)
    statuses = [500] * errors + [200] * (total - errors)
    rng.shuffle(statuses)
    now = datetime.now().astimezone()
    stamp = now.strftime("%d/%b/%Y:%H:%M:%S %z")
    access, django = [], []
    for i, status in enumerate(statuses):
        path = f"/api/products/rehearsal-{i % 97}/"
        access.append(f'127.0.0.1 - - [{stamp}] "GET {path} HTTP/1.1" {status} 512 "-" "rehearsal-traffic" '
                      f"request_time {0.02 + rng.random() * 0.05:.3f}")
        if status >= 500:
            django.append(f"{now:%Y-%m-%d %H:%M:%S},000 ERROR django.request Internal Server Error: {path}")
    return access, django


def inject_after_maintenance_off(run_dir: Path, log_dir: Path, error_pct: float, total: int = 2000,
                                 timeout_s: float = 3600) -> threading.Thread:
    """Append synthetic traffic with ``error_pct`` % of 5xx to the logs once the journal says maintenance is off."""

    def watch() -> None:
        deadline = time.monotonic() + timeout_s
        journal = run_dir / "journal.jsonl"
        while time.monotonic() < deadline:
            text = journal.read_text() if journal.exists() else ""
            if any('"name": "maintenance_off"' in line and '"event": "end"' in line for line in text.splitlines()):
                # Log lines carry whole seconds; the checks count from the moment maintenance went
                # off (sub-second): the traffic arrives from the next full second on.
                time.sleep(1.05 - time.time() % 1)
                access, django = error_lines(total, error_pct)
                with (log_dir / "access.log").open("a") as fh:
                    fh.write("\n".join(access) + "\n")
                with (log_dir / "django.log").open("a") as fh:
                    fh.write("\n".join(django) + "\n")
                return
            time.sleep(0.05)

    thread = threading.Thread(target=watch, name="rehearsal-log-injection", daemon=True)
    thread.start()
    return thread


def copy_backend(source: Path, into: Path) -> Path:
    """A copy of the release's code for a fault to alter (caches, logs and local state left out)."""
    shutil.copytree(source, into, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "var", "node_modules",
                                                                 "staticfiles", ".pytest_cache"))
    return into
