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


def test_the_ledger_is_found_by_the_order_number_staff_see(admin_client_super):
    """The reference is order:ORD-000042; staff type ORD-000042 (or its start)."""
    product = make_product("MUG", stock=5)
    StockMovement.objects.filter(product=product).update(reference="order:ORD-000042")
    other = make_product("TEE", stock=1)
    StockMovement.objects.filter(product=other).update(reference="order:ORD-000043")
    url = reverse("admin:catalog_stockmovement_changelist")

    def found(term: str) -> list[int]:
        response = admin_client_super.get(url, {"q": term})
        return sorted(m.product_id for m in response.context["cl"].result_list)

    assert found("ORD-000042") == [product.pk]
    assert found("ord-00004") == sorted([product.pk, other.pk])
    assert found("order:ORD-000043") == [other.pk]
    assert found("MUG") == [product.pk]  # the SKU still
    assert found("000042") == []  # a start, not any part
