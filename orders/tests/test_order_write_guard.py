"""Orders and lines are written only through orders.services; fixtures load as they are."""

import json

import pytest
from django.core.management import call_command
from django.db import transaction

from catalog.models import Product, StockMovement
from catalog.tests.factories import make_product
from orders.models import Order, OrderItem, OrderStatus, OrderWriteRefused
from orders.services import order_stock_reconcile
from orders.tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db


def everything() -> tuple:
    return (
        list(Order.objects.order_by("pk").values()),
        list(OrderItem.objects.order_by("pk").values()),
        list(StockMovement.objects.order_by("pk").values()),
        list(Product.objects.order_by("pk").values_list("pk", "stock")),
        Order.history.count(),
        OrderItem.history.count(),
    )


@pytest.fixture
def order():
    mug = make_product("MUG", stock=10)
    return make_order([(mug, 2)])


def test_order_save_outside_the_services_is_refused(order):
    before = everything()
    order.status = OrderStatus.CANCELLED
    with pytest.raises(OrderWriteRefused, match=r"only through orders\.services"):
        order.save()
    assert everything() == before


def test_new_order_save_outside_the_services_is_refused():
    before = everything()
    with pytest.raises(OrderWriteRefused):
        Order(customer=make_customer(), number="ORD-999999").save()
    with pytest.raises(OrderWriteRefused):
        Order.objects.create(customer=make_customer(), number="ORD-999998")
    assert everything()[:4] == before[:4]


def test_line_save_outside_the_services_is_refused(order):
    before = everything()
    line = order.items.get()
    line.quantity = 9
    with pytest.raises(OrderWriteRefused, match="Order items are saved and deleted only"):
        line.save()
    with pytest.raises(OrderWriteRefused):
        OrderItem(order=order, product=line.product, quantity=1, unit_price=1).save()
    assert everything() == before


@pytest.mark.parametrize(
    "delete",
    [
        lambda order: order.delete(),
        lambda order: order.items.get().delete(),
        lambda order: Order.objects.all().delete(),
        lambda order: OrderItem.objects.filter(order=order).delete(),
    ],
    ids=["order.delete", "line.delete", "Order.objects.all().delete", "lines queryset delete"],
)
def test_delete_outside_the_services_is_refused(order, delete):
    before = everything()
    # Django deletes inside atomic(savepoint=False): the refusal dooms the enclosing
    # transaction, so the test gives it a savepoint of its own to roll back to.
    with pytest.raises(OrderWriteRefused), transaction.atomic():
        delete(order)
    assert everything() == before


def test_loaddata_of_an_order_is_allowed_and_moves_no_stock(tmp_path):
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
    call_command("loaddata", str(path), verbosity=0)  # loading twice changes nothing either
    order = Order.objects.get(pk=9001)
    assert (order.number, order.status, order.items.get().quantity) == ("ORD-009001", "paid", 2)
    assert StockMovement.objects.count() == before and Product.objects.get(pk=mug.pk).stock == 10
    # The fixture brought no ledger rows of its own: the order check says so.
    assert [(d.reference, d.wanted, d.held) for d in order_stock_reconcile()] == [
        ("order:ORD-009001", 2, 0)
    ]
