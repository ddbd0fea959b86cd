"""Build a realistic v13.3 "production" state: the catalog one row per SKU, plus customers.

``seed_legacy_catalog --products N --seed S [--variants-per-product K]`` writes the same
catalog ``generate_commerceml`` writes as 1C files with the same N/K/seed (same 1C ids and
SKUs), so the catalog before the migration and after the re-import are comparable. Refuses
unless the database is at the v13.3 schema (app products at ``0001_initial``).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.products.services.legacy_seed import SeedRefused, seed


class Command(BaseCommand):
    help = "Seed a v13.3 database (products at 0001_initial) with a deterministic catalog, users, orders and carts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--products", type=int, required=True, help="number of 1C goods")
        parser.add_argument("--seed", type=int, default=42, help="seed (same as generate_commerceml's)")
        parser.add_argument("--variants-per-product", type=int, default=3, help="SKUs per good that has offers")
        parser.add_argument("--reset", action="store_true", help="truncate the seeded tables first")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["products"] < 1 or options["variants_per_product"] < 1:
            raise CommandError("--products and --variants-per-product must be >= 1")
        started = time.perf_counter()
        try:
            counts = seed(options["products"], options["seed"], options["variants_per_product"], options["reset"])
        except SeedRefused as exc:
            raise CommandError(f"seed refused, nothing written: {exc}") from exc
        rows = ", ".join(f"{k} {v}" for k, v in counts.as_dict().items())
        self.stdout.write(f"v13.3 catalog seeded in {time.perf_counter() - started:.1f}s: {rows}")
