"""MySQL/MariaDB: a FULLTEXT index for product-name searches (PostgreSQL has trigrams)."""

from django.db import migrations

from foundation.vendor_indexes import create_mysql, drop_mysql


def forwards(apps, schema_editor):
    create_mysql(schema_editor, ["CREATE FULLTEXT INDEX product_name_ft ON catalog_product (name)"])


def backwards(apps, schema_editor):
    drop_mysql(schema_editor, "catalog_product", ["product_name_ft"])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_product_sku_ignores_case")]

    operations = [migrations.RunPython(forwards, backwards)]
