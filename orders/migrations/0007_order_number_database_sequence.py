"""Order numbers from a database sequence on PostgreSQL and MariaDB.

The one-row counter (0004) is locked from the moment a number is taken until the order's
transaction ends, so every order placement waited for the one before it. A sequence hands
out numbers without a lock; a rolled-back order leaves a gap in the numbers. SQLite (one
writer at a time anyway) and MySQL (no sequences) keep the row.
"""

from django.db import migrations

SEQUENCE = "orders_order_number"


def create_sequence(apps, schema_editor):
    connection = schema_editor.connection
    counter = apps.get_model("orders", "OrderNumberSequence")
    order = apps.get_model("orders", "Order")
    last = counter.objects.using(connection.alias).filter(pk=1).values_list("last_value", flat=True)
    last = max([0, *last])
    numbers = order.objects.using(connection.alias).values_list("number", flat=True)
    highest = numbers.order_by("-number").first()
    if highest and highest[4:].isdigit():
        last = max(last, int(highest[4:]))
    # A plain cursor: on MariaDB this runs inside the migration's transaction, where
    # schema_editor.execute refuses DDL (CREATE SEQUENCE commits implicitly there).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} MINVALUE 1 START WITH 1")
            if last:
                cursor.execute(f"SELECT setval('{SEQUENCE}', %s)", [last])
        elif connection.vendor == "mysql" and connection.mysql_is_mariadb:
            # NOCACHE: a cached block would be lost (a gap of up to 1,000) on every restart.
            cursor.execute(
                f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START WITH {last + 1} "
                "MINVALUE 1 NOCACHE"
            )


def drop_sequence(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        last = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM " + SEQUENCE
    elif connection.vendor == "mysql" and connection.mysql_is_mariadb:
        last = f"SELECT next_not_cached_value - 1 FROM {SEQUENCE}"
    else:
        return
    with connection.cursor() as cursor:
        cursor.execute(last)
        (value,) = cursor.fetchone()
    counter = apps.get_model("orders", "OrderNumberSequence")
    counter.objects.using(connection.alias).update_or_create(pk=1, defaults={"last_value": value})
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0005_order_version_and_total_check")]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
