"""Write a deterministic CommerceML 3.1 package (the rehearsal's 1C data).

``generate_commerceml --products N --variants-per-product K --seed S --out DIR`` writes the
catalog of ``apps.products.services.sample_catalog`` — the same catalog ``seed_legacy_catalog``
writes into the v13.3 database with the same N/K/seed, so 1C ids and SKUs agree.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.products.services.commerceml_writer import write_package
from apps.products.services.sample_catalog import SampleCatalog


class Command(BaseCommand):
    help = "Generate a realistic CommerceML 3.1 split package (goods/offers/prices/rests/...)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--products", type=int, required=True, help="number of 1C goods")
        parser.add_argument("--variants-per-product", type=int, default=3, help="offers per good that has offers")
        parser.add_argument("--seed", type=int, default=42, help="seed: same seed, same package (byte for byte)")
        parser.add_argument("--out", required=True, help="output folder (replaced if it holds a previous package)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["products"] < 1 or options["variants_per_product"] < 1:
            raise CommandError("--products and --variants-per-product must be >= 1")
        out = Path(options["out"]).expanduser().resolve()
        if out.exists() and any(out.iterdir()):
            stale = [p for p in out.iterdir() if p.is_dir() and p.name in _KINDS]
            others = [p for p in out.iterdir() if p not in stale]
            if others:
                raise CommandError(f"{out} is not empty and not a generated package; choose another --out")
            for p in stale:
                shutil.rmtree(p)
        started = time.perf_counter()
        catalog = SampleCatalog(options["products"], options["variants_per_product"], options["seed"])
        stats = write_package(catalog, out)
        self.stdout.write(
            f"CommerceML 3.1 package written to {out}: {stats['products']} goods, {stats['offers']} offers, "
            f"{stats['files']} files in {time.perf_counter() - started:.1f}s "
            f"(N={options['products']} K={options['variants_per_product']} seed={options['seed']})"
        )


_KINDS = {"groups", "propertiesGoods", "propertiesOffers", "priceLists", "storages", "goods", "offers", "prices", "rests"}
