"""A test-only model with a cascading FK to products: what a careless release could add."""

from django.db import models


class LegacyOrderLine(models.Model):
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="+")
    quantity = models.IntegerField(default=1)

    class Meta:
        app_label = "cascade_app"
        db_table = "legacy_order_lines"
