"""Release: "remove the test orders" — written carelessly, it deletes EVERY order (and their items)."""
from django.db import migrations


def cleanup_test_orders(apps, schema_editor):
    apps.get_model("orders", "Order").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]
    operations = [migrations.RunPython(cleanup_test_orders, migrations.RunPython.noop)]
