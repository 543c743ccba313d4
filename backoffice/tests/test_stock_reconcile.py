"""``manage.py stock_reconcile``: counters against the ledger, orders against their lines."""

from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.urls import reverse

from catalog.models import Product
from catalog.services import stock_adjust
from catalog.tests.factories import make_product
from orders.models import Order, OrderItem, OrderStatus
from orders.services import order_delete, order_transition
from orders.tests.factories import make_order

pytestmark = pytest.mark.django_db


def reconcile() -> tuple[int, str, str]:
    """Run the command; return (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("stock_reconcile", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_info:
        code = exit_info.code
    return code, out.getvalue(), err.getvalue()


def test_stock_reconcile_exits_0_when_counters_and_orders_agree(superuser):
    mug = make_product("MUG", stock=10)
    make_product("EMPTY")  # no movements at all: 0 == 0
    make_order([(mug, 2)])
    order_transition(order=make_order([(mug, 1)]), to_status=OrderStatus.CANCELLED, user=superuser)
    order_delete(order=make_order([(mug, 3)]), user=superuser)
    code, out, err = reconcile()
    assert code == 0, out + err
    assert "All product stock counters agree with the ledger." in out
    assert "Every order holds what its lines and status want." in out
    assert err == ""


def test_stock_reconcile_names_a_product_whose_counter_disagrees_and_exits_1():
    good, bad = make_product("GOOD-1", stock=3), make_product("BAD-1", stock=4)
    Product.objects.filter(pk=bad.pk).update(stock=9)  # a write that bypassed the ledger
    code, out, err = reconcile()
    assert code == 1
    assert "BAD-1" in out and good.sku not in out
    assert "1 product(s) disagree with the ledger." in err
    assert "Every order holds what its lines and status want." in out


def test_stock_reconcile_names_an_order_whose_ledger_disagrees_with_a_hand_move():
    mug = make_product("MUG", stock=10)
    fine = make_order([(mug, 1)])
    order = make_order([(mug, 3)])
    # A hand-made ledger row that claims to be the order's: the counters stay consistent.
    stock_adjust(product=mug, quantity=1, reason="adjustment", reference=order.stock_reference)
    code, out, err = reconcile()
    assert code == 1
    assert "All product stock counters agree with the ledger." in out
    row = next(line for line in out.splitlines() if line.startswith(order.stock_reference))
    assert row.split() == [order.stock_reference, "MUG", "3", "2"]
    assert (
        f"1 order(s) hold other stock than their lines and status want: order:{order.number}" in err
    )
    assert fine.number not in out + err


def test_stock_reconcile_names_orders_whose_lines_or_status_changed_behind_the_services():
    mug, tee = make_product("MUG", stock=10), make_product("TEE", stock=10)
    edited = make_order([(mug, 2)])
    cancelled = make_order([(tee, 4)])
    OrderItem.objects.filter(order=edited).update(quantity=5)
    Order.objects.filter(pk=cancelled.pk).update(status=OrderStatus.CANCELLED)
    code, out, err = reconcile()
    assert code == 1
    assert edited.number in out and cancelled.number in out
    names = sorted([f"order:{edited.number}", f"order:{cancelled.number}"])
    assert (
        f"2 order(s) hold other stock than their lines and status want: {', '.join(names)}" in err
    )


def test_stock_reconcile_is_clean_after_orders_are_deleted_in_the_admin(admin_client_super):
    mug, tee = make_product("MUG", stock=10), make_product("TEE", stock=10)
    one, two, three = make_order([(mug, 2)]), make_order([(tee, 1)]), make_order([(mug, 1)])
    delete = reverse("admin:orders_order_delete", args=[one.pk])
    assert admin_client_super.post(delete, {"post": "yes"}).status_code == 302
    admin_client_super.post(
        reverse("admin:orders_order_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [two.pk, three.pk], "post": "yes"},
    )
    assert not Order.objects.exists()
    code, out, err = reconcile()
    assert code == 0, out + err
    assert [p.stock for p in Product.objects.order_by("sku")] == [10, 10]
