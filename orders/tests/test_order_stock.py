"""Orders move stock exactly once: order_save, order_transition, order_delete and the ledger."""

import threading
from decimal import Decimal

import pytest
from django.db import connections, transaction

from catalog.models import Product, StockMovement
from catalog.services import InsufficientStock, stock_adjust, stock_reconcile
from catalog.tests.factories import make_product
from orders.models import Order, OrderItem, OrderNumberSequence, OrderStatus
from orders.services import (
    OrderChanged,
    OrderInvalid,
    order_delete,
    order_numbers_from_sequence,
    order_numbers_last,
    order_save,
    order_stock_reconcile,
    order_sync_stock,
    order_transition,
)
from orders.tests.factories import held, make_customer, make_order, move_order, order_movements

pytestmark = pytest.mark.django_db


def stock(product: Product) -> int:
    return Product.objects.get(pk=product.pk).stock


def ledger(order: Order) -> list[tuple[str, int, str]]:
    """The order's ledger rows in write order: (sku, quantity, reason)."""
    return [(m.product.sku, m.quantity, m.reason) for m in order_movements(order).order_by("id")]


# Taking stock ---------------------------------------------------------------------------------


def test_order_save_new_order_takes_stock_once_and_sets_totals():
    mug = make_product("MUG", stock=10, price="8.00")
    tee = make_product("TEE", stock=5, price="20.00")
    order = make_order(
        [(mug, 2), (tee, 1)], shipping_cost=Decimal("4.90"), discount=Decimal("1.00")
    )
    assert order.number.startswith("ORD-")
    assert (stock(mug), stock(tee)) == (8, 4)
    assert sorted(ledger(order)) == [("MUG", -2, "order"), ("TEE", -1, "order")]
    assert (order.total, order.item_count) == (Decimal("39.90"), 3)
    assert stock_reconcile() == [] and order_stock_reconcile() == []


def test_order_save_new_order_writes_one_ledger_row_per_product():
    mug, tee = make_product("MUG", stock=10), make_product("TEE", stock=10)
    order = make_order([(mug, 1), (tee, 1), (mug, 2)])
    assert sorted(ledger(order)) == [("MUG", -3, "order"), ("TEE", -1, "order")]
    assert (stock(mug), stock(tee)) == (7, 9)


def test_order_save_unchanged_order_moves_nothing(superuser):
    mug = make_product("MUG", stock=10)
    order = make_order([(mug, 2)])
    before = StockMovement.objects.count()
    order_save(order=Order.objects.get(pk=order.pk), user=superuser)
    order_save(order=Order.objects.get(pk=order.pk), user=superuser, change=list(order.items.all()))
    order_sync_stock(order)
    assert StockMovement.objects.count() == before
    assert stock(mug) == 8


def test_order_save_quantity_change_moves_only_the_difference(superuser):
    mug = make_product("MUG", stock=10)
    order = make_order([(mug, 2)])
    line = order.items.get()
    line.quantity = 5
    order_save(order=order, user=superuser, change=[line])
    assert stock(mug) == 5
    line.quantity = 1
    order_save(order=order, user=superuser, change=[line])
    assert stock(mug) == 9 and held(order) == {"MUG": 1}
    # Taking more is an "order" move; a line reduced on a live order gives back as "order".
    assert ledger(order) == [("MUG", -2, "order"), ("MUG", -3, "order"), ("MUG", 4, "order")]
    assert Order.objects.get(pk=order.pk).item_count == 1


def test_order_save_product_swap_gives_back_the_old_and_takes_the_new(superuser):
    mug, tee = make_product("MUG", stock=10), make_product("TEE", stock=10)
    order = make_order([(mug, 3)])
    line = order.items.get()
    line.product = tee
    order_save(order=order, user=superuser, change=[line])
    assert (stock(mug), stock(tee)) == (10, 7)
    assert held(order) == {"TEE": 3}


def test_order_save_not_enough_stock_keeps_nothing():
    mug = make_product("MUG", stock=2)
    customer = make_customer()
    with pytest.raises(InsufficientStock) as caught:
        make_order([(mug, 1), (mug, 2)], customer=customer)
    assert (caught.value.asked, caught.value.available) == (3, 2)
    assert str(caught.value) == f"Not enough stock for MUG ({mug.name}): asked 3, available 2."
    assert not Order.objects.exists() and not OrderItem.objects.exists()
    assert stock(mug) == 2 and not StockMovement.objects.filter(reason="order").exists()


def test_order_save_inside_a_rolled_back_transaction_leaves_nothing():
    mug = make_product("MUG", stock=10)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_order([(mug, 3)])
        raise RuntimeError("something later failed")
    assert stock(mug) == 10 and not Order.objects.exists()
    assert not StockMovement.objects.filter(reason="order").exists()


def test_order_sync_stock_run_again_moves_nothing():
    mug = make_product("MUG", stock=10)
    order = make_order([(mug, 4)])
    assert order_sync_stock(order) == [] and order_sync_stock(order) == []
    assert stock(mug) == 6 and len(ledger(order)) == 1


# Giving stock back ----------------------------------------------------------------------------


def test_order_save_removed_line_gives_its_stock_back(superuser):
    mug, tee = make_product("MUG", stock=10), make_product("TEE", stock=10)
    order = make_order([(mug, 3), (tee, 2)])
    order_save(order=order, user=superuser, remove=[order.items.get(product=mug)])
    assert (stock(mug), stock(tee)) == (10, 8)
    assert held(order) == {"TEE": 2}
    assert ledger(order)[-1] == ("MUG", 3, "order")
    assert OrderItem.objects.filter(order=order).count() == 1


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ([OrderStatus.CANCELLED], "cancel"),
        ([OrderStatus.PAID, OrderStatus.CANCELLED], "cancel"),
        ([OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.RETURNED], "return"),
        (
            [OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.RETURNED],
            "return",
        ),
    ],
    ids=["pending-cancelled", "paid-cancelled", "shipped-returned", "delivered-returned"],
)
def test_order_transition_cancel_or_return_gives_all_stock_back(superuser, path, reason):
    mug, tee = make_product("MUG", stock=10), make_product("TEE", stock=10)
    order = make_order([(mug, 4), (tee, 1)])
    move_order(order, *path, user=superuser)
    assert (stock(mug), stock(tee)) == (10, 10) and held(order) == {}
    assert sorted(ledger(order)[2:]) == [("MUG", 4, reason), ("TEE", 1, reason)]
    assert order_stock_reconcile() == []


def test_order_transition_to_statuses_that_hold_stock_moves_nothing(superuser):
    mug = make_product("MUG", stock=10)
    order = make_order([(mug, 4)])
    for status in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        order = order_transition(order=order, to_status=status, user=superuser)
        assert stock(mug) == 6
    assert ledger(order) == [("MUG", -4, "order")]


def test_order_delete_gives_stock_back_with_reason_order_deleted(superuser):
    mug, tee = make_product("MUG", stock=10), make_product("TEE", stock=10)
    order = make_order([(mug, 3), (tee, 2)])
    reference = order.stock_reference
    order_delete(order=order, user=superuser)
    assert (stock(mug), stock(tee)) == (10, 10)
    assert not Order.objects.exists() and not OrderItem.objects.exists()
    give_back = StockMovement.objects.filter(reference=reference, quantity__gt=0)
    assert sorted(give_back.values_list("product__sku", "quantity", "reason", "created_by")) == [
        ("MUG", 3, "order_deleted", superuser.pk),
        ("TEE", 2, "order_deleted", superuser.pk),
    ]
    assert stock_reconcile() == [] and order_stock_reconcile() == []


def test_order_delete_of_a_cancelled_order_moves_nothing(superuser):
    mug = make_product("MUG", stock=10)
    order = move_order(make_order([(mug, 3)]), OrderStatus.CANCELLED, user=superuser)
    before = StockMovement.objects.count()
    order_delete(order=order, user=superuser)
    assert StockMovement.objects.count() == before and stock(mug) == 10


# Who and why ----------------------------------------------------------------------------------


def test_order_services_record_the_acting_user_on_every_ledger_and_history_row(make_staff):
    support = make_staff("Customer support")
    fulfilment = make_staff("Fulfilment")
    boss = make_staff(superuser=True)
    mug, tee = make_product("MUG", stock=10), make_product("TEE", stock=10)

    order = make_order([(mug, 2), (tee, 1)], user=support)
    line = order.items.get(product=mug)
    line.quantity = 3
    order_save(order=order, user=support, change=[line], remove=[order.items.get(product=tee)])
    order = order_transition(order=order, to_status=OrderStatus.PAID, user=support)
    order = order_transition(order=order, to_status=OrderStatus.SHIPPED, user=fulfilment)
    order = order_transition(order=order, to_status=OrderStatus.RETURNED, user=support)
    reference, order_pk = order.stock_reference, order.pk
    order_delete(order=order, user=boss)

    rows = StockMovement.objects.filter(reference=reference).order_by("id")
    assert [(m.product.sku, m.quantity, m.reason, m.created_by) for m in rows] == [
        ("MUG", -2, "order", support),
        ("TEE", -1, "order", support),
        ("MUG", -1, "order", support),
        ("TEE", 1, "order", support),
        ("MUG", 3, "return", support),
    ]  # the returned order held nothing when deleted
    order_history = Order.history.filter(id=order_pk).order_by("history_id")
    assert [(h.history_type, h.status, h.history_user) for h in order_history] == [
        ("+", "pending", support),
        ("~", "pending", support),
        ("~", "paid", support),
        ("~", "shipped", fulfilment),
        ("~", "returned", support),
        ("-", "returned", boss),
    ]
    line_history = OrderItem.history.filter(order_id=order_pk).order_by("history_id")
    assert [(h.history_type, h.quantity, h.history_user) for h in line_history] == [
        ("+", 2, support),
        ("+", 1, support),
        ("-", 1, support),
        ("~", 3, support),
        ("-", 3, boss),
    ]


# Checking orders against the ledger ---------------------------------------------------------


def test_order_stock_reconcile_names_orders_whose_ledger_disagrees():
    mug, tee = make_product("MUG", stock=10), make_product("TEE", stock=10)
    good = make_order([(mug, 1)])
    short = make_order([(mug, 2), (tee, 1)])
    cancelled = make_order([(tee, 3)])
    # A hand-made ledger row with the order's reference, a line changed behind the services,
    # and a status changed behind them: the order no longer holds what it wants.
    stock_adjust(product=mug, quantity=1, reason="adjustment", reference=short.stock_reference)
    OrderItem.objects.filter(order=short, product=tee).update(quantity=4)
    Order.objects.filter(pk=cancelled.pk).update(status=OrderStatus.CANCELLED)
    disagreements = order_stock_reconcile()
    assert [(d.reference, d.sku, d.wanted, d.held) for d in disagreements] == [
        (short.stock_reference, "MUG", 2, 1),
        (short.stock_reference, "TEE", 4, 1),
        (cancelled.stock_reference, "TEE", 0, 3),
    ]
    assert good.stock_reference not in {d.reference for d in disagreements}
    assert stock_reconcile() == []  # the counters still agree with the ledger


def test_order_stock_reconcile_is_empty_when_every_order_agrees(superuser):
    mug = make_product("MUG", stock=10)
    make_order([(mug, 1)])
    move_order(make_order([(mug, 2)]), OrderStatus.CANCELLED, user=superuser)
    order_delete(order=make_order([(mug, 3)]), user=superuser)
    assert order_stock_reconcile() == []


# Concurrency (PostgreSQL: real row locks, one connection per thread) ------------------------

THREADS = 8


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_order_save_concurrent_orders_sell_exactly_the_available_units():
    # Two products, locked in opposite line order by half the threads: no deadlock either.
    mug, tee = make_product("MUG", stock=5), make_product("TEE", stock=100)
    customers = [make_customer() for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def place(n: int) -> None:
        lines = [(mug, 1), (tee, 1)] if n % 2 else [(tee, 1), (mug, 1)]
        try:
            start.wait()
            try:
                make_order(lines, customer=customers[n])
                result = "sold"
            except InsufficientStock:
                result = "refused"
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=place, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == THREADS
    assert outcomes.count("sold") == 5 and outcomes.count("refused") == THREADS - 5
    assert Product.objects.get(pk=mug.pk).stock == 0
    assert Product.objects.get(pk=tee.pk).stock == 95
    assert Order.objects.count() == 5
    assert stock_reconcile() == [] and order_stock_reconcile() == []


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_order_save_first_orders_on_an_empty_number_table_all_get_numbers():
    # A flushed database has no order-number row; the first orders create it at once.
    OrderNumberSequence.objects.all().delete()
    mug = make_product("MUG", stock=100)
    customers = [make_customer() for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    numbers: list[str] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def place(n: int) -> None:
        try:
            start.wait()
            try:
                order = make_order([(mug, 1)], customer=customers[n])
                with lock:
                    numbers.append(order.number)
            except Exception as error:  # a duplicate key or a deadlock would land here
                with lock:
                    errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=place, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(numbers)) == THREADS
    if order_numbers_from_sequence():  # not reset between tests; no lock, no row
        assert order_numbers_last() == max(int(n[4:]) for n in numbers)
    else:
        assert sorted(numbers) == [f"ORD-{n:06d}" for n in range(1, THREADS + 1)]
        assert OrderNumberSequence.objects.get().last_value == THREADS


def run_together(*jobs) -> list:
    """Run each job in its own thread and connection, all released at once; return outcomes."""
    start = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def run(n: int, job) -> None:
        try:
            start.wait()
            try:
                outcomes[n] = job()
            except Exception as error:
                outcomes[n] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_order_save_stale_edit_racing_a_cancel_never_undoes_it(superuser):
    mug = make_product("MUG", stock=100)
    for _ in range(6):
        order = make_order([(mug, 2)])
        stale = Order.objects.get(pk=order.pk)  # what the editor's page was opened with
        stale.notes = "left at the door"

        def edit(stale=stale):
            return order_save(order=stale, user=superuser, expected_version=stale.version)

        def cancel(order=order):
            return order_transition(order=order, to_status=OrderStatus.CANCELLED, user=superuser)

        edited, cancelled = run_together(edit, cancel)
        assert isinstance(cancelled, Order)  # the cancel always stands
        assert isinstance(edited, (Order, OrderChanged))
        final = Order.objects.get(pk=order.pk)
        assert final.status == OrderStatus.CANCELLED
        statuses = list(
            Order.history.filter(id=order.pk)
            .order_by("history_id")
            .values_list("status", flat=True)
        )
        assert (
            statuses[-1] == "cancelled" and "pending" not in statuses[statuses.index("cancelled") :]
        )
    assert stock_reconcile() == [] and order_stock_reconcile() == []
    assert Product.objects.get(pk=mug.pk).stock == 100


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_order_save_line_deleted_while_another_changes_it_stays_deleted(superuser):
    mug, tee = make_product("MUG", stock=100), make_product("TEE", stock=100)
    for _ in range(6):
        order = make_order([(mug, 1), (tee, 1)])
        first = Order.objects.get(pk=order.pk)
        second = Order.objects.get(pk=order.pk)
        mug_line = order.items.get(product=mug)
        changed_line = OrderItem.objects.get(pk=mug_line.pk)
        changed_line.quantity = 5

        def remove(first=first, line=mug_line):
            return order_save(order=first, user=superuser, remove=[line])

        def change(second=second, line=changed_line):
            return order_save(order=second, user=superuser, change=[line])

        removed, changed = run_together(remove, change)
        outcomes = [type(o).__name__ for o in (removed, changed)]
        # The removal always stands, and the line never comes back: a change that came
        # after it is refused (the line is gone), one that came before was simply undone.
        assert isinstance(removed, Order), outcomes
        assert isinstance(changed, (Order, OrderInvalid)), outcomes
        assert not OrderItem.objects.filter(pk=mug_line.pk).exists(), outcomes
        assert held(order) == {"TEE": 1}, outcomes
    assert stock_reconcile() == [] and order_stock_reconcile() == []
