"""The rules order_save keeps besides stock: numbers, prices, totals, workflow, lost lines."""

from decimal import Decimal

import pytest

from catalog.models import Product, StockMovement
from catalog.tests.factories import make_product
from orders.models import Order, OrderItem, OrderStatus
from orders.services import (
    OrderInvalid,
    TransitionRefused,
    order_delete,
    order_fill_shipping,
    order_save,
    order_transition,
)
from orders.tests.factories import make_customer, make_order, move_order

pytestmark = pytest.mark.django_db


def snapshot(order: Order) -> tuple:
    """What a refused save must leave as it was."""
    return (
        list(Order.objects.filter(pk=order.pk).values()),
        list(OrderItem.objects.filter(order_id=order.pk).order_by("pk").values()),
        list(StockMovement.objects.order_by("pk").values_list("pk", flat=True)),
        list(Product.objects.order_by("pk").values_list("stock", flat=True)),
        Order.history.count(),
        OrderItem.history.count(),
    )


def test_order_save_numbers_are_never_reused(superuser):
    mug = make_product("MUG", stock=10)
    first = make_order([(mug, 1)])
    order_delete(order=first, user=superuser)
    second = make_order([(mug, 1)])
    assert int(second.number[4:]) == int(first.number[4:]) + 1
    assert second.number == f"ORD-{int(first.number[4:]) + 1:06d}"


def test_order_save_blank_unit_price_is_the_products_price():
    mug = make_product("MUG", stock=10, price="7.25")
    order = make_order([(mug, 2)])
    assert order.items.get().unit_price == Decimal("7.25")
    assert order.total == Decimal("14.50")


def test_order_save_keeps_a_given_unit_price_and_recomputes_totals(superuser):
    mug = make_product("MUG", stock=10, price="7.25")
    order = make_order([(mug, 2)], shipping_cost=Decimal("3.00"))
    line = order.items.get()
    line.unit_price = Decimal("5.00")
    line.quantity = 3
    order.discount = Decimal("2.00")
    order_save(order=order, user=superuser, change=[line])
    order.refresh_from_db()
    assert (order.total, order.item_count) == (Decimal("16.00"), 3)


def test_order_fill_shipping_copies_the_customers_address_into_blank_fields_only():
    customer = make_customer(
        first_name="Ada",
        last_name="Lovelace",
        street="Main St 1",
        city="Berlin",
        postal_code="10115",
    )
    order = Order(customer=customer, shipping_city="Potsdam")
    order_fill_shipping(order)
    assert (
        order.shipping_name,
        order.shipping_street,
        order.shipping_city,
        order.shipping_postal_code,
        order.shipping_country,
    ) == ("Ada Lovelace", "Main St 1", "Potsdam", "10115", "DE")


def test_order_save_of_a_new_order_fills_blank_shipping_fields_from_the_customer(superuser):
    mug = make_product("MUG", stock=10)
    customer = make_customer(first_name="Ada", last_name="Lovelace", city="Berlin")
    order = Order(customer=customer, shipping_street="Elsewhere 2")
    order_save(order=order, user=superuser, add=[OrderItem(product=mug, quantity=1)])
    order.refresh_from_db()
    assert (order.shipping_name, order.shipping_street, order.shipping_city) == (
        "Ada Lovelace",
        "Elsewhere 2",
        "Berlin",
    )


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.SHIPPED])
def test_order_save_discount_larger_than_lines_and_shipping_is_refused(superuser, status):
    mug = make_product("MUG", stock=10, price="8.00")
    order = make_order([(mug, 2)], shipping_cost=Decimal("1.00"))
    Order.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    before = snapshot(order)
    order.discount = Decimal("17.01")
    with pytest.raises(OrderInvalid, match=r"discount \(17.01\) is larger than lines plus"):
        order_save(order=order, user=superuser)
    assert snapshot(order) == before


def test_order_save_changing_a_line_removed_meanwhile_is_refused_and_keeps_nothing(superuser):
    mug, tee = make_product("MUG", stock=10), make_product("TEE", stock=10)
    order = make_order([(mug, 2), (tee, 1)])
    mine = Order.objects.get(pk=order.pk)
    my_line = mine.items.get(product=mug)
    # Someone else removes the MUG line first.
    order_save(order=Order.objects.get(pk=order.pk), user=superuser, remove=[my_line])
    before = snapshot(order)
    my_line.quantity = 5
    with pytest.raises(OrderInvalid, match="removed by someone else meanwhile"):
        order_save(order=mine, user=superuser, change=[my_line])
    assert snapshot(order) == before
    assert not OrderItem.objects.filter(pk=my_line.pk).exists()  # not brought back
    assert Product.objects.get(pk=mug.pk).stock == 10


def test_order_save_of_an_order_deleted_meanwhile_is_refused(superuser):
    mug = make_product("MUG", stock=10)
    order = make_order([(mug, 2)])
    order_delete(order=Order.objects.get(pk=order.pk), user=superuser)
    with pytest.raises(OrderInvalid, match="was deleted by someone else"):
        order_save(order=order, user=superuser)
    assert not Order.objects.exists() and Product.objects.get(pk=mug.pk).stock == 10


def test_order_save_lines_of_a_shipped_order_cannot_change(superuser):
    mug = make_product("MUG", stock=10)
    order = move_order(
        make_order([(mug, 2)]), OrderStatus.PAID, OrderStatus.SHIPPED, user=superuser
    )
    before = snapshot(order)
    line = order.items.get()
    line.quantity = 1
    with pytest.raises(OrderInvalid, match="lines of a shipped order cannot change"):
        order_save(order=order, user=superuser, change=[line])
    assert snapshot(order) == before


def test_order_save_status_outside_the_workflow_is_refused(superuser):
    mug = make_product("MUG", stock=10)
    order = make_order([(mug, 2)])
    before = snapshot(order)
    order.status = OrderStatus.DELIVERED
    with pytest.raises(TransitionRefused, match="cannot go from Pending to Delivered"):
        order_save(order=order, user=superuser)
    assert snapshot(order) == before


def test_order_save_new_order_with_another_status_needs_the_transition(make_staff):
    mug = make_product("MUG", stock=10)
    reader = make_staff("Read-only")
    order = Order(customer=make_customer(), status=OrderStatus.PAID)
    with pytest.raises(TransitionRefused, match="your role may not"):
        order_save(order=order, user=reader, add=[OrderItem(product=mug, quantity=1)])
    assert not Order.objects.exists() and Product.objects.get(pk=mug.pk).stock == 10


@pytest.mark.parametrize(
    ("role", "to_status", "allowed"),
    [
        ("Customer support", OrderStatus.PAID, True),
        ("Fulfilment", OrderStatus.PAID, False),
        ("Read-only", OrderStatus.CANCELLED, False),
        ("Customer support", OrderStatus.CANCELLED, True),
    ],
)
def test_order_transition_follows_the_role(make_staff, role, to_status, allowed):
    mug = make_product("MUG", stock=10)
    order = make_order([(mug, 2)])
    user = make_staff(role)
    if allowed:
        order_transition(order=order, to_status=to_status, user=user)
    else:
        with pytest.raises(TransitionRefused, match="your role may not"):
            order_transition(order=order, to_status=to_status, user=user)
    assert Order.objects.get(pk=order.pk).status == (to_status if allowed else "pending")
