"""A product deleted while a file is imported is a reported error, not a crash."""

import threading

import pytest
import tablib
from django.db import connections

import catalog.importing as importing
from catalog.models import Product
from catalog.resources import ProductResource
from catalog.tests.factories import make_category, make_product

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
HEADERS = ["sku", "name", "category", "price", "stock", "is_active"]


def test_product_deleted_during_import_is_a_reported_error(superuser, monkeypatch):
    shoes = make_category("Shoes", "shoes")
    victim = make_product("OLD", name="Old", category=shoes)  # stock 0, no ledger rows
    original = importing._write

    def someone_deletes_it_first(*args, **kwargs):
        def delete():
            Product.objects.filter(pk=victim.pk).delete()
            connections.close_all()

        t = threading.Thread(target=delete)
        t.start()
        t.join()
        return original(*args, **kwargs)

    monkeypatch.setattr(importing, "_write", someone_deletes_it_first)
    data = tablib.Dataset(("OLD", "Old renamed", "shoes", "10.00", "4", "1"), headers=HEADERS)
    result = ProductResource().import_data(data, dry_run=False, user=superuser)
    assert result.has_errors()
