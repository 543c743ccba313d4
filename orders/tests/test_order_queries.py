"""An order costs the same number of queries whatever its number of lines.

Counts per database: PostgreSQL and MariaDB take the number from a sequence (one query);
SQLite and MySQL increment the counter row (two queries). MySQL also locks the products first.
"""

from decimal import Decimal

import pytest
from django.db import connection

from catalog.models import StockMovement
from catalog.tests.factories import make_product
from orders.models import Order, OrderItem
from orders.services import order_numbers_from_sequence, order_save
from orders.tests.factories import make_customer, order_payload

pytestmark = pytest.mark.django_db

LINES = [1, 10, 50]


def expected(base: int) -> int:
    """``base`` on PostgreSQL. The counter row costs one query more than a sequence
    (upsert + read); MySQL locks the products once more before the lines (stock_lock)."""
    return base + (not order_numbers_from_sequence()) + (connection.vendor == "mysql")


@pytest.fixture
def catalog():
    return [make_product(f"Q{i:03d}", stock=100, price="2.50") for i in range(50)]


@pytest.mark.parametrize("lines", LINES)
def test_order_save_queries_do_not_grow_with_lines(
    lines, catalog, superuser, django_assert_num_queries
):
    customer = make_customer()
    order = Order(customer=customer)
    add = [OrderItem(product=product, quantity=2) for product in catalog[:lines]]
    # savepoint, number, order + history, lines + history, lock, counters, ledger,
    # rollups (one upsert per table), release
    with django_assert_num_queries(expected(12)):
        order_save(order=order, user=superuser, add=add)
    assert OrderItem.objects.filter(order=order).count() == lines
    assert StockMovement.objects.filter(reference=order.stock_reference).count() == lines
    assert OrderItem.history.filter(order_id=order.pk).count() == lines
    assert order.total == Decimal("5.00") * lines


@pytest.mark.parametrize("lines", LINES)
def test_order_admin_add_queries_do_not_grow_with_lines(
    lines, catalog, admin_client_super, django_assert_num_queries
):
    customer = make_customer()
    payload = order_payload(customer, [{"product": p, "quantity": 1} for p in catalog[:lines]])
    with django_assert_num_queries(expected(20)):  # two of them: the rollups
        response = admin_client_super.post("/admin/orders/order/add/", payload)
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.items.count() == lines
    assert StockMovement.objects.filter(reference=order.stock_reference).count() == lines
