"""The stock ledger in the admin: read-only for everybody, searchable."""

import pytest
from django.urls import reverse

from catalog.models import StockMovement
from catalog.tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_stock_movement_admin_is_read_only_for_everybody(admin_client_super):
    product = make_product(stock=2)
    movement = product.movements.get()
    changelist = reverse("admin:catalog_stockmovement_changelist")
    assert admin_client_super.get(changelist).status_code == 200
    assert admin_client_super.get(reverse("admin:catalog_stockmovement_add")).status_code == 403
    url = reverse("admin:catalog_stockmovement_change", args=[movement.pk])
    admin_client_super.post(url, {"quantity": 100, "balance": 100, "reason": "adjustment"})
    delete = reverse("admin:catalog_stockmovement_delete", args=[movement.pk])
    assert admin_client_super.post(delete, {"post": "yes"}).status_code == 403
    movement.refresh_from_db()
    assert movement.quantity == 2 and StockMovement.objects.count() == 1


def test_stock_movement_admin_searches_sku_and_reference(admin_client_super):
    product = make_product("FIND-ME", stock=2)
    other = make_product("OTHER", stock=1)
    StockMovement.objects.filter(product=other).update(reference="count:2026-11")
    url = reverse("admin:catalog_stockmovement_changelist")

    def found(term: str) -> list[int]:
        response = admin_client_super.get(url, {"q": term})
        return [m.product_id for m in response.context["cl"].result_list]

    assert found("FIND-ME") == [product.pk]
    assert found("count:2026") == [other.pk]
