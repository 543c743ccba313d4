"""An order's history page says what changed: its lines (added, removed, quantity, price),
status labels, names of related rows, amounts with the store's currency."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.tests.factories import make_product
from orders.models import OrderItem, OrderStatus
from orders.services import order_save
from orders.tests.factories import make_customer, make_order, move_order

pytestmark = pytest.mark.django_db


def history_text(client, order) -> str:
    response = client.get(reverse("admin:orders_order_history", args=[order.pk]))
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_order_history_shows_line_changes(admin_client_super, superuser):
    mug = make_product("MUG-1", price="9.90", stock=20)
    cap = make_product("CAP-1", price="5.00", stock=20)
    order = make_order([(mug, 1), (cap, 1)], user=superuser)
    mug_line = order.items.get(product=mug)
    cap_line = order.items.get(product=cap)
    mug_line.quantity = 2
    mug_line.unit_price = Decimal("8.50")
    order_save(order=order, user=superuser, change=[mug_line], remove=[cap_line])

    shown = history_text(admin_client_super, order)
    assert "Line added : MUG-1 \N{MULTIPLICATION SIGN} 1 @ €9.90" in shown
    assert "Line added : CAP-1 \N{MULTIPLICATION SIGN} 1 @ €5.00" in shown
    assert "MUG-1 quantity : 1 → 2" in shown
    assert "MUG-1 unit price : €9.90 → €8.50" in shown
    assert "Line removed : CAP-1 \N{MULTIPLICATION SIGN} 1 @ €5.00" in shown
    # Each change sits on the order's row it was saved with: the edit, not the creation.
    edit = shown.index("MUG-1 quantity")
    created = shown.index("Line added : MUG-1")
    assert edit < created  # newest first


def test_order_history_status_labels_and_names(admin_client_super, superuser):
    mug = make_product("MUG-1", price="9.90", stock=20)
    order = make_order([(mug, 1)], user=superuser)
    move_order(order, OrderStatus.PAID, OrderStatus.SHIPPED, user=superuser)
    order.refresh_from_db()
    other = make_customer(first_name="Grace", last_name="Hopper", email="grace@example.com")
    order.customer = other
    order.shipping_cost = Decimal("4.90")
    order_save(order=order, user=superuser, expected_version=order.version)

    shown = history_text(admin_client_super, order)
    assert "Status : Pending → Paid" in shown
    assert "Status : Paid → Shipped" in shown
    assert "paid → shipped" not in shown
    assert "Customer : " in shown and "→ Grace Hopper &lt;grace@example.com&gt;" in shown
    assert f"→ {other.pk}" not in shown
    assert "Shipping cost : €0.00 → €4.90" in shown


def test_order_history_page_queries_do_not_grow_with_line_edits(admin_client_super, superuser):
    mug = make_product("MUG-1", price="9.90", stock=200)
    order = make_order([(mug, 1)], user=superuser)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            history_text(admin_client_super, order)
        return len(captured)

    first = count()
    for quantity in range(2, 12):
        line = OrderItem.objects.get(order=order)
        line.quantity = quantity
        order.refresh_from_db()
        order_save(order=order, user=superuser, change=[line])
    assert count() <= first + 2
