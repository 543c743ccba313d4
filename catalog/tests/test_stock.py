"""The stock ledger: one function moves stock, the counter always equals the ledger."""

import threading

import pytest
from django.db import IntegrityError, connections, transaction

from catalog.models import Product, StockMovement
from catalog.services import (
    InsufficientStock,
    StockMove,
    products_adjust_stock,
    stock_adjust,
    stock_move,
    stock_reconcile,
    stock_set_bulk,
)
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
    assert product.stock == 7  # updated in place
    product.refresh_from_db()
    assert product.stock == 7
    assert (movement.quantity, movement.balance, movement.reason) == (-3, 7, "adjustment")
    assert (movement.reference, movement.note, movement.created_by) == ("x:1", "dented", superuser)
    assert ledger_total(product) == 7


def test_stock_adjust_below_zero_is_refused_and_writes_nothing():
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


def test_stock_adjust_zero_quantity_is_refused():
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


def test_stock_move_writes_one_row_per_move_in_product_order(superuser):
    a, b = make_product(stock=5), make_product(stock=5)
    rows = stock_move(
        moves=[StockMove(b.pk, -2, "order"), StockMove(a.pk, 3, "cancel"), StockMove(a.pk, 0, "x")],
        reference="order:ORD-1",
        user=superuser,
    )
    assert [(r.product_id, r.quantity, r.balance, r.reason) for r in rows] == [
        (a.pk, 3, 8, "cancel"),
        (b.pk, -2, 3, "order"),
    ]  # the zero move writes nothing
    assert {(r.reference, r.created_by_id) for r in rows} == {("order:ORD-1", superuser.pk)}
    assert stock_reconcile() == []


def test_stock_move_one_short_product_refuses_every_move():
    a, b = make_product(stock=5), make_product("SHORT", stock=1)
    before = StockMovement.objects.count()
    with pytest.raises(InsufficientStock, match="SHORT"):
        stock_move(moves=[StockMove(a.pk, -1, "order"), StockMove(b.pk, -2, "order")])
    assert StockMovement.objects.count() == before
    assert [p.stock for p in Product.objects.order_by("pk")] == [5, 1]


def test_products_adjust_stock_moves_all_or_none():
    a, b = make_product(stock=5), make_product(stock=1)
    products_adjust_stock(products=[a, b], quantity=-1, reason="adjustment")
    with pytest.raises(InsufficientStock):
        products_adjust_stock(products=[a, b], quantity=-1, reason="adjustment")
    assert [p.stock for p in Product.objects.order_by("pk")] == [4, 0]
    assert stock_reconcile() == []


def test_database_refuses_negative_stock_even_without_the_service():
    product = make_product(stock=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(stock=-1)


def test_product_save_never_writes_its_stock():
    product = make_product(stock=5)
    stale = Product.objects.get(pk=product.pk)
    stock_adjust(product=product, quantity=-2, reason="order")
    stale.name = "Renamed"
    stale.save()  # holds stock=5 from before the move
    fresh = Product.objects.get(pk=product.pk)
    assert (fresh.name, fresh.stock) == ("Renamed", 3)


def test_product_save_new_product_cannot_start_with_stock_outside_the_ledger():
    product = Product(sku="X", name="X", category=make_product().category, price=1, stock=4)
    with pytest.raises(ValueError, match="starts with stock 0"):
        product.save()
    assert not Product.objects.filter(sku="X").exists()


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


def test_stock_set_bulk_negative_levels_are_refused():
    product = make_product(stock=1)
    with pytest.raises(ValueError):
        stock_set_bulk(levels={product.pk: -1}, reason="import", reference="r")
    assert Product.objects.get(pk=product.pk).stock == 1


def test_stock_reconcile_lists_counters_that_disagree_with_the_ledger():
    make_product(stock=3)
    bad = make_product(stock=4)
    make_product()  # no movements at all: 0 == 0
    assert stock_reconcile() == []
    Product.objects.filter(pk=bad.pk).update(stock=9)  # a write that bypassed the ledger
    assert [(d.product_id, d.sku, d.stock, d.ledger) for d in stock_reconcile()] == [
        (bad.pk, bad.sku, 9, 4)
    ]


# Concurrency (PostgreSQL: real row locks, one connection per thread) ------------------------

THREADS = 10


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_stock_adjust_concurrent_threads_lose_no_update():
    product = make_product(stock=6)
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def take_one() -> None:
        try:
            mine = Product.objects.get(pk=product.pk)
            start.wait()
            try:
                stock_adjust(product=mine, quantity=-1, reason="order", reference="race")
                result = "sold"
            except InsufficientStock:
                result = "refused"
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take_one) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    product.refresh_from_db()
    assert outcomes.count("sold") == 6
    assert outcomes.count("refused") == THREADS - 6
    assert product.stock == 0
    assert ledger_total(product) == 0
    assert product.movements.filter(reference="race").count() == 6
    assert stock_reconcile() == []
