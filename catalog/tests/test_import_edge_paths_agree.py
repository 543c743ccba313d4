"""The bulk and row-by-row import paths accept and refuse the same values."""

import pytest
import tablib
from django.db import transaction

from catalog.models import Product
from catalog.resources import ProductResource, ProductRowResource
from catalog.tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db
HEADERS = [
    "sku",
    "name",
    "category",
    "price",
    "stock",
    "is_active",
    "cost",
    "low_stock_threshold",
    "description",
]
CASES = [
    ("P1", "One", "shoes", "19.990", "1", "1", "", "5", ""),
    ("P2", "Two", "shoes", "99999999.990", "1", "1", "", "5", ""),
    ("P3", "Three", "shoes", "1e2", "1", "1", "", "5", ""),
    ("P4", "Four", "shoes", "1", "1", "1", "", "3000000000", ""),
    ("P5", "Fi\x00ve", "shoes", "1", "1", "1", "", "5", ""),
    ("P6", "Six", "shoes", "1", "1", "1", "", "5", "x" * 5),
    ("OLD", "Old", "shoes", "10.00", "0", "1", "", "5", ""),
]


@pytest.mark.parametrize("row", CASES, ids=[c[0] for c in CASES])
def test_same_outcome(row, superuser):
    shoes = make_category("Shoes", "shoes")
    make_product("OLD", name="Old", category=shoes, price="10.00", stock=3)
    out = {}
    for cls in (ProductRowResource, ProductResource):
        with transaction.atomic():
            r = cls().import_data(
                tablib.Dataset(row, headers=HEADERS), dry_run=False, user=superuser
            )
            ok = not r.has_errors() and not r.has_validation_errors()
            vals = (
                sorted(Product.objects.values_list("sku", "price", "stock", "name")) if ok else None
            )
            out[cls.__name__] = (ok, vals)
            transaction.set_rollback(True)
    assert out["ProductRowResource"] == out["ProductResource"]
