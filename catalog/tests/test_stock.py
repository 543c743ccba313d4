from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from catalog.models import Product, StockMovement
from catalog.services import InsufficientStock, stock_adjust, stock_reconcile, stock_set_bulk
from catalog.tests.factories import ledger_total, make_product

pytestmark = pytest.mark.django_db


def test_stock_adjust_moves_counter_and_writes_ledger_row(superuser):
    product = make_product(stock=10)
    movement = stock_adjust(
        product=product,
        quantity=-3,
        reason="adjustment",
        reference="x:1",
        note="dented",
        user=superuser,
    )
    product.refresh_from_db()
    assert product.stock == 7
    assert (movement.quantity, movement.balance, movement.reason) == (-3, 7, "adjustment")
    assert (movement.reference, movement.note, movement.created_by) == ("x:1", "dented", superuser)
    assert ledger_total(product) == 7


def test_stock_adjust_refuses_to_go_negative_and_writes_nothing():
    product = make_product(stock=2)
    with pytest.raises(InsufficientStock) as caught:
        stock_adjust(product=product, quantity=-5, reason="adjustment")
    assert (caught.value.asked, caught.value.available) == (5, 2)
    assert (
        str(caught.value)
        == f"Not enough stock for {product.sku} ({product.name}): asked 5, available 2."
    )
    product.refresh_from_db()
    assert product.stock == 2
    assert product.movements.count() == 1


def test_stock_adjust_refuses_zero_quantity():
    product = make_product()
    with pytest.raises(ValueError, match="non-zero"):
        stock_adjust(product=product, quantity=0, reason="adjustment")
    assert not StockMovement.objects.exists()


def test_stock_adjust_uses_the_locked_counter_not_a_stale_instance():
    product = make_product(stock=5)
    stale = Product.objects.get(pk=product.pk)
    stock_adjust(product=product, quantity=-5, reason="order")
    with pytest.raises(InsufficientStock):
        stock_adjust(product=stale, quantity=-1, reason="order")
    assert Product.objects.get(pk=product.pk).stock == 0


def test_database_refuses_negative_stock_even_without_the_service():
    product = make_product(stock=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(stock=-1)


def test_saving_a_product_never_writes_its_stock():
    product = make_product(stock=5)
    stale = Product.objects.get(pk=product.pk)
    stock_adjust(product=product, quantity=-2, reason="order")
    stale.name = "Renamed"
    stale.save()  # holds stock=5 from before the move
    fresh = Product.objects.get(pk=product.pk)
    assert (fresh.name, fresh.stock) == ("Renamed", 3)


def test_a_new_product_cannot_start_with_stock_outside_the_ledger():
    product = Product(sku="X", name="X", category=make_product().category, price=1, stock=4)
    with pytest.raises(ValueError, match="starts with stock 0"):
        product.save()


def test_stock_set_bulk_writes_one_row_per_changed_product(superuser):
    a, b, c = make_product(stock=5), make_product(stock=0), make_product(stock=7)
    movements = stock_set_bulk(
        levels={a.pk: 2, b.pk: 10, c.pk: 7},
        reason="import",
        reference="import:test",
        user=superuser,
    )
    assert sorted((m.product_id, m.quantity, m.balance) for m in movements) == [
        (a.pk, -3, 2),
        (b.pk, 10, 10),
    ]
    assert [p.stock for p in Product.objects.filter(pk__in=[a.pk, b.pk, c.pk]).order_by("pk")] == [
        2,
        10,
        7,
    ]
    assert StockMovement.objects.filter(reference="import:test").count() == 2
    assert stock_reconcile() == []


def test_stock_set_bulk_refuses_negative_levels():
    product = make_product(stock=1)
    with pytest.raises(ValueError):
        stock_set_bulk(levels={product.pk: -1}, reason="import", reference="r")
    assert Product.objects.get(pk=product.pk).stock == 1


def test_stock_reconcile_lists_disagreements_and_command_exits_1():
    good, bad = make_product(stock=3), make_product(stock=4)
    Product.objects.filter(pk=bad.pk).update(stock=9)  # a write that bypassed the ledger

    assert [(d.sku, d.stock, d.ledger) for d in stock_reconcile()] == [(bad.sku, 9, 4)]
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("stock_reconcile", stdout=out, stderr=err)
    assert exit_info.value.code == 1
    assert bad.sku in out.getvalue() and good.sku not in out.getvalue()
    assert "1 product(s) disagree" in err.getvalue()


def test_stock_reconcile_command_is_quiet_when_all_agree():
    make_product(stock=3)
    make_product()  # no movements at all: 0 == 0
    out = StringIO()
    call_command("stock_reconcile", stdout=out)
    assert "agree" in out.getvalue()
