"""The order form's lines: one product, one line."""

import pytest
from django.urls import reverse

from catalog.models import Product, StockMovement
from orders.models import Order, OrderItem
from orders.tests.factories import make_customer, make_order, order_payload

pytestmark = pytest.mark.django_db

ADD = reverse("admin:orders_order_add")


def test_order_add_with_the_same_product_on_two_lines_is_refused_naming_the_lines(
    admin_client_super, products
):
    mug, tee = products
    response = admin_client_super.post(
        ADD,
        order_payload(
            make_customer(),
            [
                {"product": mug, "quantity": 1},
                {"product": tee, "quantity": 1},
                {"product": mug, "quantity": 2},
            ],
        ),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "MUG (Product" in html and "is on lines 1 and 3." in html
    assert "Put it on one line with the total quantity." in html
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[0].errors["product"] == ["Also on line 3."]
    assert formset.forms[2].errors["product"] == ["Also on line 1."]
    assert "product" not in formset.forms[1].errors
    assert not Order.objects.exists() and not OrderItem.objects.exists()
    assert Product.objects.get(pk=mug.pk).stock == 10
    assert not StockMovement.objects.filter(reason="order").exists()


def test_order_change_adding_a_line_of_a_product_already_on_the_order_is_refused(
    admin_client_super, products
):
    mug, _tee = products
    order = make_order(lines=[(mug, 1)])
    line = order.items.get()
    data = order_payload(
        order.customer,
        [
            {"product": mug, "quantity": 1, "id": line.pk, "unit_price": line.unit_price},
            {"product": mug, "quantity": 4},
        ],
        order=order,
    )
    response = admin_client_super.post(reverse("admin:orders_order_change", args=[order.pk]), data)
    assert response.status_code == 200
    assert "is on lines 1 and 2." in response.content.decode()
    assert list(order.items.values_list("quantity", flat=True)) == [1]
    assert Product.objects.get(pk=mug.pk).stock == 9


def test_order_a_removed_line_does_not_count_as_a_repeat(admin_client_super, products):
    mug, _tee = products
    order = make_order(lines=[(mug, 1)])
    line = order.items.get()
    data = order_payload(
        order.customer,
        [
            # The page posts a saved line's price as it shows it.
            {
                "product": mug,
                "quantity": 1,
                "id": line.pk,
                "unit_price": line.unit_price,
                "delete": True,
            },
            {"product": mug, "quantity": 3},
        ],
        order=order,
    )
    response = admin_client_super.post(reverse("admin:orders_order_change", args=[order.pk]), data)
    assert response.status_code == 302, response.context["errors"]
    assert list(order.items.values_list("quantity", flat=True)) == [3]
    assert Product.objects.get(pk=mug.pk).stock == 7
