"""Order admin cases found in review: read-only lines, odd URLs."""

import pytest
from django.urls import reverse

from catalog.models import Product
from catalog.tests.factories import make_product
from orders.models import Order, OrderStatus
from orders.tests.factories import make_order
from orders.tests.test_order_admin import lines_of, order_payload

pytestmark = pytest.mark.django_db


def shipped_order():
    mug = make_product("MUG", stock=10)
    order = make_order([(mug, 3)])
    for status in (OrderStatus.PAID, OrderStatus.SHIPPED):
        order.status = status
        order.save()
    return mug, order


def test_saving_the_form_of_a_shipped_order_works(admin_client_super):
    _, order = shipped_order()
    url = reverse("admin:orders_order_change", args=[order.pk])
    response = admin_client_super.post(
        url, order_payload(order.customer, lines_of(order), order=order, notes="Left at door")
    )
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).notes == "Left at door"


def test_returning_a_shipped_order_through_the_form_gives_stock_back(client_for, make_staff):
    mug, order = shipped_order()
    client = client_for(make_staff("Customer support"))
    url = reverse("admin:orders_order_change", args=[order.pk])
    response = client.post(
        url, order_payload(order.customer, lines_of(order), order=order, status="returned")
    )
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == "returned"
    assert Product.objects.get(pk=mug.pk).stock == 10


def test_transition_url_with_a_non_numeric_id_is_refused_not_500(admin_client_super):
    url = reverse("admin:orders_order_detail_paid", args=["abc"])
    assert admin_client_super.post(url, {"_form_submitted": "on"}).status_code == 403
