"""Delete the catalog. The dry run prints text only (no --format): what it would delete."""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--yes", action="store_true", help="really delete")

    def handle(self, *args, **options):
        from catalog.models import Favorite, Product, ProductVariant

        products, variants, favorites = (Product.objects.count(), ProductVariant.objects.count(),
                                         Favorite.objects.count())
        if options["dry_run"]:
            self.stdout.write(f"DRY RUN: would delete {products} products, {variants} variants "
                              f"(and {favorites} favorites)")
            return
        if not options["yes"]:
            raise CommandError("refusing without --yes")
        with transaction.atomic():
            Product.objects.all().delete()
        self.stdout.write(f"deleted {products} products, {variants} variants, {favorites} favorites")
