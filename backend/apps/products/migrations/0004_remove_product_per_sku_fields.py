"""v13.4: drop the per-SKU columns from products (they now live on product_variants).

After this, ``products.onec_id`` holds the productGuid; the operator flushes products and re-imports
from 1C (runbook steps 6-7). Reversible in schema only: going back re-adds the columns as nullable
or defaulted (sku/parent_onec_id/prices NULL, color/size '', stock 0), so the per-SKU data is LOST;
restoring the pre-migration backup is the way back with data (runbook "Rollback Procedure").
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('products', '0003_load_basic_colors'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='product',
            name='color_name',
        ),
        migrations.RemoveField(
            model_name='product',
            name='federation_price',
        ),
        migrations.RemoveField(
            model_name='product',
            name='opt1_price',
        ),
        migrations.RemoveField(
            model_name='product',
            name='opt2_price',
        ),
        migrations.RemoveField(
            model_name='product',
            name='opt3_price',
        ),
        migrations.RemoveField(
            model_name='product',
            name='parent_onec_id',
        ),
        migrations.RemoveField(
            model_name='product',
            name='reserved_quantity',
        ),
        migrations.RemoveField(
            model_name='product',
            name='retail_price',
        ),
        migrations.RemoveField(
            model_name='product',
            name='size_value',
        ),
        migrations.RemoveField(
            model_name='product',
            name='sku',
        ),
        migrations.RemoveField(
            model_name='product',
            name='stock_quantity',
        ),
        migrations.RemoveField(
            model_name='product',
            name='trainer_price',
        ),
    ]
