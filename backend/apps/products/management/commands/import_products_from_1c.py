"""Runbook step 7: ``import_products_from_1c --full`` — import the 1C catalog package.

Exit status 0 = imported (warnings allowed, see the report); non-zero = refused or failed,
with the reason on stderr, nothing written, the import session marked failed. ``--dry-run``
validates and prints the report without touching the database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.products.services.importer import FILE_TYPES, CatalogImporter, ImportFailed, ImportOptions


class Command(BaseCommand):
    help = "Import the catalog from a 1C CommerceML package (3.1 split layout or 2.x import.xml + offers.xml)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="full import of the package (the runbook's mode)")
        parser.add_argument("--data-dir", default=None, help="1C exchange folder (default: settings.ONEC_DATA_DIR)")
        parser.add_argument("--dry-run", action="store_true", help="validate and print the report; write nothing")
        parser.add_argument("--file-type", choices=FILE_TYPES, default="all", help="import only this kind of data")
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per COPY batch (default 5000)")
        parser.add_argument("--format", choices=["text", "json"], default="text", help="report format")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["full"] and not options["dry_run"]:
            raise CommandError("only full imports are supported: pass --full (or --dry-run to validate)")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be >= 1")
        data_dir = Path(options["data_dir"] or settings.ONEC_DATA_DIR).expanduser()
        importer = CatalogImporter(
            ImportOptions(data_dir, options["file_type"], options["batch_size"], options["dry_run"])
        )
        if options["dry_run"]:
            report = importer.validate_only()
            if options["format"] == "json":
                self.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
            else:
                self.stdout.write(str(report))
            if not report.ok:
                raise CommandError(f"1C package {data_dir} has {report.errors} error(s): an import would be refused")
            return
        try:
            result = importer.run()
        except ImportFailed as exc:
            if exc.report is not None and options["format"] == "text":
                self.stderr.write(str(exc.report))
            raise CommandError(f"import failed: {exc}") from exc
        summary = result.summary()
        if options["format"] == "json":
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
            return
        counts = summary.get("counts", {})
        v = result.report.counts
        self.stdout.write(
            f"Import completed in {result.seconds:.1f}s (session {result.session_id}, CommerceML {result.report.version}): "
            f"products +{counts.get('products_created', 0)} ~{counts.get('products_updated', 0)}, "
            f"variants +{counts.get('variants_created', 0)} ~{counts.get('variants_updated', 0)} "
            f"(default {counts.get('default_variants_created', 0)}), "
            f"categories +{counts.get('categories_created', 0)}, brands +{counts.get('brands_created', 0)}, "
            f"orphan offers skipped {counts.get('orphan_offers_skipped', 0)}; "
            f"package: {v.goods} goods, {v.offers} offers, {result.report.warnings} warnings"
        )
