"""Release: one ProductVariant per product (its per-SKU fields move there)."""
import django.db.models.deletion
from django.db import migrations, models


def copy_to_variants(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    ProductVariant = apps.get_model("catalog", "ProductVariant")
    ProductVariant.objects.bulk_create(
        ProductVariant(product=p, sku=p.sku or f"SKU-{p.pk}", onec_id=p.onec_id, current_price=p.price)
        for p in Product.objects.all())


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [
        migrations.CreateModel(
            name="ProductVariant",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sku", models.CharField(max_length=100, unique=True)),
                ("onec_id", models.CharField(max_length=200, unique=True)),
                ("current_price", models.DecimalField(decimal_places=2, max_digits=12, null=True)),
                ("stock", models.IntegerField(default=0)),
                ("product", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="variants",
                                              to="catalog.product")),
            ],
            options={"db_table": "product_variants"},
        ),
        migrations.RunPython(copy_to_variants, migrations.RunPython.noop),
    ]
