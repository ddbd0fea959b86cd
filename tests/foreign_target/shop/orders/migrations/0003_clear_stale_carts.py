"""Release: "clear stale carts" — deletes every cart item."""
from django.db import migrations


def clear(apps, schema_editor):
    apps.get_model("orders", "CartItem").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_cleanup_test_orders")]
    operations = [migrations.RunPython(clear, migrations.RunPython.noop)]
