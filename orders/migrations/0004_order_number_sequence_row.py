"""Create the order-number row before the first order.

Creating it on demand races on an empty table: on InnoDB two first orders either collide
on the key or deadlock on the gap lock (PostgreSQL only serialises them).
"""

from django.db import migrations


def create_row(apps, schema_editor):
    sequence = apps.get_model("orders", "OrderNumberSequence")
    sequence.objects.using(schema_editor.connection.alias).get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_customer_name_index")]

    operations = [migrations.RunPython(create_row, migrations.RunPython.noop)]
