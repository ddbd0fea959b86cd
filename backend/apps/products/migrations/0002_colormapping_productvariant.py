"""v13.4: create color_mappings and product_variants (additive, no data touched)."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('products', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='ColorMapping',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True)),
                ('hex_code', models.CharField(max_length=7, validators=[django.core.validators.RegexValidator('^#[0-9A-Fa-f]{6}$', 'Use #RRGGBB.')])),
            ],
            options={
                'db_table': 'color_mappings',
                'constraints': [models.CheckConstraint(condition=models.Q(('hex_code__regex', '^#[0-9A-Fa-f]{6}$')), name='color_mappings_hex_rrggbb')],
            },
        ),
        migrations.CreateModel(
            name='ProductVariant',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sku', models.CharField(max_length=100, unique=True)),
                ('onec_id', models.CharField(max_length=255, unique=True)),
                ('color_name', models.CharField(blank=True, default='', max_length=100)),
                ('size_value', models.CharField(blank=True, default='', max_length=50)),
                ('retail_price', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True)),
                ('opt1_price', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True)),
                ('opt2_price', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True)),
                ('opt3_price', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True)),
                ('trainer_price', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True)),
                ('federation_price', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True)),
                ('stock_quantity', models.IntegerField(default=0)),
                ('reserved_quantity', models.IntegerField(default=0)),
                ('images', models.JSONField(blank=True, default=list)),
                ('is_active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('product', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='variants', to='products.product')),
            ],
            options={
                'db_table': 'product_variants',
            },
        ),
    ]
