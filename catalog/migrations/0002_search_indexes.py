from django.db import migrations

from foundation.vendor_indexes import create, create_trigram, drop

PATTERN = [
    "CREATE INDEX IF NOT EXISTS product_sku_upper_idx "
    "ON catalog_product (UPPER(sku::text) text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS movement_reference_upper_idx "
    "ON catalog_stockmovement (UPPER(reference::text) text_pattern_ops)",
]
TRIGRAM = [
    "CREATE INDEX IF NOT EXISTS product_name_trgm_idx "
    "ON catalog_product USING gin (UPPER(name::text) gin_trgm_ops)",
]
NAMES = ["product_sku_upper_idx", "movement_reference_upper_idx", "product_name_trgm_idx"]


def forwards(apps, schema_editor):
    create(schema_editor, PATTERN)
    create_trigram(schema_editor, TRIGRAM)
    # Expression indexes bring their own statistics; without them the planner guesses.
    create(schema_editor, ["ANALYZE catalog_product", "ANALYZE catalog_stockmovement"])


def backwards(apps, schema_editor):
    drop(schema_editor, NAMES)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
