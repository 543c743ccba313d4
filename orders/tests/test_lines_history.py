"""foundation.history.create_with_history writes what bulk_create + history_write write."""

from decimal import Decimal

import pytest

from catalog.tests.factories import make_product
from foundation.history import CREATED, create_with_history, history_write
from orders.models import Order, OrderItem, order_writes
from orders.tests.factories import make_customer

pytestmark = pytest.mark.django_db


def history_of(order: Order) -> list[tuple]:
    return list(
        OrderItem.history.filter(order_id=order.pk)
        .order_by("id")
        .values_list(
            "product_id",
            "quantity",
            "unit_price",
            "history_type",
            "history_change_reason",
            "history_user_id",
        )
    )


def test_lines_and_their_history_as_the_long_way_writes_them(superuser):
    products = [make_product(f"H{i}", stock=10, price=f"{i}.25") for i in range(1, 5)]
    with order_writes():  # the order rows only hold the lines; no stock moves here
        quick, slow = (Order.objects.create(customer=make_customer(), number=n) for n in "AB")

    def lines(order):
        return [
            OrderItem(order=order, product=p, quantity=n + 1, unit_price=p.price)
            for n, p in enumerate(reversed(products))
        ]

    quick_lines = lines(quick)
    create_with_history(OrderItem, quick_lines, user=superuser, reason="API")
    slow_lines = lines(slow)
    OrderItem.objects.bulk_create(slow_lines)
    history_write(OrderItem, slow_lines, history_type=CREATED, user=superuser, reason="API")

    # Each object got its own row's key, in the order given.
    stored = {i.pk: (i.product_id, i.quantity) for i in OrderItem.objects.filter(order=quick)}
    assert [stored[line.pk] for line in quick_lines] == [
        (line.product_id, line.quantity) for line in quick_lines
    ]
    assert all(not line._state.adding for line in quick_lines)
    assert history_of(quick) == history_of(slow)
    assert history_of(quick)[0][2] == Decimal("4.25")
    assert {h.id for h in OrderItem.history.filter(order_id=quick.pk)} == set(stored)
