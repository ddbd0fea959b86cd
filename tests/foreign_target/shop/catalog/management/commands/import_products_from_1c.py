"""Import goods from a CommerceML package. There is no --full; the files are DELETED once read."""
import xml.etree.ElementTree as ET
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

NS = "{urn:1C.ru:commerceml_2}"


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--data-dir", required=True)

    def handle(self, *args, **options):
        from catalog.models import Product, ProductVariant

        files = sorted(Path(options["data_dir"]).rglob("*.xml"))
        goods = {}
        for f in files:
            for item in ET.parse(f).getroot().iter(f"{NS}Товар"):
                gid, name = item.findtext(f"{NS}Ид"), item.findtext(f"{NS}Наименование")
                if gid and "#" not in gid:
                    goods[gid] = name or gid
        with transaction.atomic():
            for i, (gid, name) in enumerate(sorted(goods.items())):
                p = Product.objects.create(name=name, slug=f"g-{i}", onec_id=gid)
                ProductVariant.objects.create(product=p, sku=f"G-{i}", onec_id=gid)
        for f in files:
            f.unlink()
        self.stdout.write(f"imported {len(goods)} goods from {len(files)} files (input deleted)")
