"""Product history: who changed what, and who may go back to an earlier version."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.tests.factories import make_product

pytestmark = pytest.mark.django_db


def revert_url(product, record) -> str:
    return reverse("admin:catalog_product_simple_history", args=[product.pk, record.history_id])


def revert_payload(product, record) -> dict:
    return {
        "sku": record.sku,
        "name": record.name,
        "category": record.category_id,
        "price": str(record.price),
        "low_stock_threshold": record.low_stock_threshold,
        "is_active": "on",
        "images-TOTAL_FORMS": 0,
        "images-INITIAL_FORMS": 0,
        "movements-TOTAL_FORMS": 0,
        "movements-INITIAL_FORMS": 0,
    }


@pytest.fixture
def product_with_two_versions():
    product = make_product("HIST-1", price="10.00", stock=3)
    first = product.history.get()
    product.price = Decimal("99.00")
    product.save()
    return product, first


def test_product_history_read_only_user_sees_it_but_cannot_revert(
    client_for, make_staff, product_with_two_versions
):
    product, first = product_with_two_versions
    client = client_for(make_staff("Read-only"))
    assert (
        client.get(reverse("admin:catalog_product_history", args=[product.pk])).status_code == 200
    )
    assert client.get(revert_url(product, first)).status_code == 200
    response = client.post(revert_url(product, first), revert_payload(product, first))
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.price == Decimal("99.00")
    assert product.history.count() == 2


def test_product_history_revert_by_a_catalog_manager_keeps_the_stock(
    client_for, make_staff, product_with_two_versions
):
    product, first = product_with_two_versions
    manager = make_staff("Catalog managers")
    response = client_for(manager).post(revert_url(product, first), revert_payload(product, first))
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.price, product.stock) == (Decimal("10.00"), 3)  # stock is not history's
    assert product.history.latest().history_user == manager
