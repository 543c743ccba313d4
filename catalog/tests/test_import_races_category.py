"""A category deleted while a file is imported is a reported error at confirm."""

import threading

import pytest
import tablib
from django.db import connections

import catalog.importing as importing
from catalog.models import Category, Product
from catalog.resources import ProductResource
from catalog.tests.factories import make_category

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
HEADERS = ["sku", "name", "category", "price", "stock", "is_active"]


def test_category_deleted_during_import_is_a_reported_error(superuser, monkeypatch):
    make_category("Shoes", "shoes")
    doomed = make_category("Gone soon", "doomed")
    original = importing._load_existing

    def load_then_someone_deletes_the_category(*args, **kwargs):
        def delete():
            Category.objects.filter(pk=doomed.pk).delete()  # no products yet: PROTECT allows it
            connections.close_all()

        t = threading.Thread(target=delete)
        t.start()
        t.join()
        return original(*args, **kwargs)

    monkeypatch.setattr(importing, "_load_existing", load_then_someone_deletes_the_category)
    data = tablib.Dataset(("NEW", "New", "doomed", "1.00", "3", "1"), headers=HEADERS)
    result = ProductResource().import_data(data, dry_run=False, user=superuser)  # raises?
    assert result.has_errors()
    assert not Product.objects.filter(sku="NEW").exists()
