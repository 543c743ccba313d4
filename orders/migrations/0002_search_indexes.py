from django.db import migrations

from foundation.vendor_indexes import create, create_trigram, drop

PATTERN = [
    "CREATE INDEX IF NOT EXISTS order_number_upper_idx "
    "ON orders_order (UPPER(number::text) text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS customer_email_upper_idx "
    "ON orders_customer (UPPER(email::text) text_pattern_ops)",
]
TRIGRAM = [
    "CREATE INDEX IF NOT EXISTS customer_first_name_trgm_idx "
    "ON orders_customer USING gin (UPPER(first_name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS customer_last_name_trgm_idx "
    "ON orders_customer USING gin (UPPER(last_name::text) gin_trgm_ops)",
]
NAMES = [
    "order_number_upper_idx",
    "customer_email_upper_idx",
    "customer_first_name_trgm_idx",
    "customer_last_name_trgm_idx",
]


def forwards(apps, schema_editor):
    create(schema_editor, PATTERN)
    create_trigram(schema_editor, TRIGRAM)
    # Expression indexes bring their own statistics; without them the planner guesses.
    create(schema_editor, ["ANALYZE orders_order", "ANALYZE orders_customer"])


def backwards(apps, schema_editor):
    drop(schema_editor, NAMES)


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
