"""Release: the per-SKU columns leave products (the point of no return)."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_productvariant")]
    operations = [migrations.RemoveField("product", "sku"), migrations.RemoveField("product", "price")]
