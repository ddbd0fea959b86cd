"""v13.4 data: the 20 basic colors the storefront maps 1C color names to (COL-01 expects >= 20).

Reverse deletes exactly these names; colors added by operators later are kept.
"""

from django.db import migrations

BASIC_COLORS = [
    ("Белый", "#FFFFFF"),
    ("Черный", "#000000"),
    ("Красный", "#FF0000"),
    ("Синий", "#0000FF"),
    ("Зеленый", "#00FF00"),
    ("Желтый", "#FFFF00"),
    ("Серый", "#808080"),
    ("Розовый", "#FFC0CB"),
    ("Оранжевый", "#FFA500"),
    ("Фиолетовый", "#800080"),
    ("Коричневый", "#A52A2A"),
    ("Бежевый", "#F5F5DC"),
    ("Бордовый", "#800000"),
    ("Голубой", "#87CEEB"),
    ("Салатовый", "#7FFF00"),
    ("Сиреневый", "#C8A2C8"),
    ("Тёмно-синий", "#00008B"),
    ("Тёмно-серый", "#A9A9A9"),
    ("Светло-серый", "#D3D3D3"),
    ("Золотой", "#FFD700"),
]


def load_colors(apps, schema_editor):
    ColorMapping = apps.get_model("products", "ColorMapping")
    for name, hex_code in BASIC_COLORS:
        ColorMapping.objects.using(schema_editor.connection.alias).update_or_create(
            name=name, defaults={"hex_code": hex_code}
        )


def unload_colors(apps, schema_editor):
    ColorMapping = apps.get_model("products", "ColorMapping")
    ColorMapping.objects.using(schema_editor.connection.alias).filter(
        name__in=[name for name, _ in BASIC_COLORS]
    ).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("products", "0002_colormapping_productvariant"),
    ]

    operations = [
        migrations.RunPython(load_colors, unload_colors),
    ]
