"""foundation.rows.row_by gives what the queryset it stands for gives, on every database."""

import pytest
from django.utils import timezone

from backoffice.models import ApiToken
from backoffice.services import api_token_create
from catalog.models import Product, StockMovement
from catalog.services import stock_adjust
from catalog.tests.factories import make_product
from foundation.rows import row_by
from orders.models import Customer
from orders.tests.factories import make_customer

pytestmark = pytest.mark.django_db


def fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_a_token_and_its_user_as_the_queryset_reads_them(make_staff):
    token, _ = api_token_create(user=make_staff("Read-only"), name="sync", expires_days=3)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    expected = ApiToken.objects.select_related("user").get(pk=token.pk)

    found = row_by(ApiToken, "digest", token.digest, related="user")

    assert fields(found) == fields(expected)
    assert fields(found.user) == fields(expected.user)
    assert found.expires_at.tzinfo is not None  # converted as the ORM converts (SQLite)
    assert not found._state.adding and found._state.db == "default"
    assert row_by(ApiToken, "digest", "0" * 64, related="user") is None


def test_decimals_dates_and_nulls_come_back_typed():
    product = make_product("ROW-1", price="12.30", cost=None)
    customer = make_customer("Row@Shop.test", phone="")

    found = row_by(Product, "sku", "ROW-1")
    assert fields(found) == fields(Product.objects.get(pk=product.pk))
    assert str(found.price) == "12.30" and found.cost is None
    assert fields(row_by(Customer, "email", "row@shop.test")) == fields(
        Customer.objects.get(pk=customer.pk)
    )
    # As the database compares (MariaDB's collation ignores case), like the queryset.
    as_queryset = Customer.objects.filter(email="Row@Shop.test").first()
    found = row_by(Customer, "email", "Row@Shop.test")
    assert (found and fields(found)) == (as_queryset and fields(as_queryset))
    assert row_by(Customer, "email", "nobody@shop.test") is None


def test_a_null_foreign_key_gives_the_row_with_no_related_object(superuser):
    product = make_product("ROW-2", stock=0)
    by_nobody = stock_adjust(product=product, quantity=3, reason=StockMovement.Reason.ADJUSTMENT)
    by_admin = stock_adjust(
        product=product, quantity=2, reason=StockMovement.Reason.ADJUSTMENT, user=superuser
    )

    found = row_by(StockMovement, "id", by_nobody.pk, related="created_by")
    assert found is not None and found.created_by is None and found.quantity == 3
    found = row_by(StockMovement, "id", by_admin.pk, related="created_by")
    assert found.created_by == superuser and found.created_by.username == superuser.username
