"""Orders move stock exactly once, through the receivers and order_sync_stock."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from catalog.models import Product, StockMovement
from catalog.services import InsufficientStock, stock_reconcile
from catalog.tests.factories import make_product
from orders.models import Order, OrderItem, OrderStatus
from orders.services import order_sync_stock
from orders.tests.factories import held, make_customer, make_order, order_movements

pytestmark = pytest.mark.django_db


def stock(product: Product) -> int:
    return Product.objects.get(pk=product.pk).stock


def test_creating_an_order_takes_stock_once_and_sets_totals():
    mug, tee = (
        make_product("MUG", stock=10, price="8.00"),
        make_product("TEE", stock=5, price="20.00"),
    )
    order = make_order(
        [(mug, 2), (tee, 1)], shipping_cost=Decimal("4.90"), discount=Decimal("1.00")
    )
    assert order.number.startswith("ORD-")
    assert (stock(mug), stock(tee)) == (8, 4)
    assert held(order) == {"MUG": 2, "TEE": 1}
    assert {m.reason for m in order_movements(order)} == {"order"}
    assert (order.total, order.item_count) == (Decimal("39.90"), 3)
    assert stock_reconcile() == []


def test_saving_the_same_order_again_moves_nothing():
    mug = make_product("MUG", stock=10)
    order = make_order([(mug, 2)])
    before = StockMovement.objects.count()
    order.save()
    order.items.first().save()
    order_sync_stock(order)
    assert StockMovement.objects.count() == before
    assert stock(mug) == 8


def test_changing_a_quantity_moves_only_the_difference():
    mug = make_product("MUG", stock=10)
    order = make_order([(mug, 2)])
    item = order.items.get()
    item.quantity = 5
    item.save()
    assert stock(mug) == 5
    assert [m.quantity for m in order_movements(order).order_by("id")] == [-2, -3]
    item.quantity = 1
    item.save()
    assert stock(mug) == 9 and held(order) == {"MUG": 1}


def test_swapping_a_lines_product_gives_back_the_old_and_takes_the_new():
    mug, tee = make_product("MUG", stock=10), make_product("TEE", stock=10)
    order = make_order([(mug, 3)])
    item = order.items.get()
    item.product = tee
    item.save()
    assert (stock(mug), stock(tee)) == (10, 7)
    assert held(order) == {"TEE": 3}


def test_deleting_a_line_or_the_order_gives_stock_back():
    mug, tee = make_product("MUG", stock=10), make_product("TEE", stock=10)
    order = make_order([(mug, 3), (tee, 2)])
    order.items.get(product=mug).delete()
    assert (stock(mug), stock(tee)) == (10, 8)
    reference = order.stock_reference
    order.delete()
    assert stock(tee) == 10
    assert (
        sum(StockMovement.objects.filter(reference=reference).values_list("quantity", flat=True))
        == 0
    )
    assert stock_reconcile() == []


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ([OrderStatus.CANCELLED], "cancel"),
        ([OrderStatus.PAID, OrderStatus.CANCELLED], "cancel"),
        ([OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.RETURNED], "return"),
    ],
)
def test_cancelled_and_returned_orders_hold_no_stock(path, reason):
    mug = make_product("MUG", stock=10)
    order = make_order([(mug, 4)])
    for status in path:
        order.status = status
        order.save()
    assert stock(mug) == 10 and held(order) == {}
    assert order_movements(order).order_by("id").last().reason == reason


def test_statuses_that_hold_stock_keep_it():
    mug = make_product("MUG", stock=10)
    order = make_order([(mug, 4)])
    for status in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        order.status = status
        order.save()
        assert stock(mug) == 6
    assert order_movements(order).count() == 1


def test_not_enough_stock_keeps_nothing():
    mug = make_product("MUG", stock=2)
    customer = make_customer()
    with pytest.raises(InsufficientStock) as caught:
        make_order([(mug, 1), (mug, 2)], customer=customer)
    assert (caught.value.asked, caught.value.available) == (3, 2)
    assert not Order.objects.exists() and not OrderItem.objects.exists()
    assert stock(mug) == 2 and StockMovement.objects.filter(reason="order").count() == 0


def test_order_numbers_are_never_reused():
    mug = make_product("MUG", stock=10)
    first = make_order([(mug, 1)])
    first.delete()
    second = make_order([(mug, 1)])
    assert int(second.number[4:]) == int(first.number[4:]) + 1


def test_unit_price_defaults_to_the_products_price():
    mug = make_product("MUG", stock=10, price="7.25")
    order = make_order([(mug, 2)])
    assert order.items.get().unit_price == Decimal("7.25")
    assert order.total == Decimal("14.50")


def test_loaddata_of_an_order_moves_no_stock(tmp_path):
    mug = make_product("MUG", stock=10)
    customer = make_customer("fixture@example.com")
    fixture = [
        {
            "model": "orders.order",
            "pk": 9001,
            "fields": {
                "number": "ORD-009001",
                "customer": customer.pk,
                "status": "paid",
                "total": "16.00",
                "item_count": 2,
                "placed_at": "2026-01-05T10:00:00Z",
                "updated_at": "2026-01-05T10:00:00Z",
            },
        },
        {
            "model": "orders.orderitem",
            "pk": 9001,
            "fields": {"order": 9001, "product": mug.pk, "quantity": 2, "unit_price": "8.00"},
        },
    ]
    path = tmp_path / "order.json"
    path.write_text(json.dumps(fixture))
    before = StockMovement.objects.count()
    call_command("loaddata", str(path), verbosity=0)
    call_command("loaddata", str(path), verbosity=0)
    assert Order.objects.get(pk=9001).items.count() == 1
    assert StockMovement.objects.count() == before and stock(mug) == 10


def test_order_sync_stock_inside_a_rolled_back_transaction_leaves_nothing():
    mug = make_product("MUG", stock=10)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_order([(mug, 3)])
        raise RuntimeError("something later failed")
    assert stock(mug) == 10 and not Order.objects.exists()
