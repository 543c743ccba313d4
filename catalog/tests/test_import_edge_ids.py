"""New products never take the id of a deleted one (SQLite AUTOINCREMENT)."""

import pytest
import tablib

from catalog.models import Product
from catalog.resources import ProductResource
from catalog.tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db

HEADERS = ["sku", "name", "category", "price", "stock", "is_active"]


def test_new_product_never_reuses_a_deleted_products_id(superuser):
    shoes = make_category("Shoes", "shoes")
    make_product("KEEP", category=shoes)
    gone = make_product("GONE", name="Deleted product", category=shoes)
    gone_pk = gone.pk
    gone.delete()  # history now holds '+' and '-' rows for this id
    data = tablib.Dataset(("NEW", "New product", "shoes", "1.00", "0", "1"), headers=HEADERS)
    result = ProductResource().import_data(data, dry_run=False, user=superuser)
    assert not result.has_errors() and not result.has_validation_errors()
    new = Product.objects.get(sku="NEW")
    skus_in_history = set(Product.history.filter(id=new.pk).values_list("sku", flat=True))
    assert new.pk != gone_pk and skus_in_history == {"NEW"}, (new.pk, gone_pk, skus_in_history)
