"""Daily rollups: kept by every order write, rebuilt and checked against the orders."""

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import Sum

from catalog.tests.factories import make_product
from orders.models import DailyOrderRollup, MonthlyProductRollup, Order, OrderItem, OrderStatus
from orders.rollups import (
    SHARDS,
    rollups_apply,
    rollups_check,
    rollups_rebuild,
    rollups_snapshot,
    store_day,
)
from orders.services import order_delete, order_save
from orders.tests.factories import make_customer, make_order, move_order, store_with_history

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DAY = date(2026, 11, 20)
MONTH = date(2026, 11, 1)


def by_status() -> dict[tuple[date, str], tuple[int, int]]:
    """(day, status) -> (orders, cents), shards summed, empty rows left out."""
    rows = DailyOrderRollup.objects.values_list("day", "status").annotate(
        n=Sum("orders"), c=Sum("total_cents")
    )
    return {(d, s): (n, c) for d, s, n, c in rows if n or c}


def by_product() -> dict[tuple[date, str], tuple[int, int]]:
    """(month, SKU) -> (units, cents), empty rows left out."""
    rows = MonthlyProductRollup.objects.values_list(
        "month", "product__sku", "units", "revenue_cents"
    )
    return {(d, sku): (u, c) for d, sku, u, c in rows if u or c}


def every_row() -> set[tuple]:
    return {
        *DailyOrderRollup.objects.values_list("day", "status", "shard", "orders", "total_cents"),
        *MonthlyProductRollup.objects.values_list("month", "product_id", "units", "revenue_cents"),
    }


def test_rollups_count_a_new_order_on_its_day(products):
    mug, tee = products
    make_order([(mug, 2), (tee, 1)], placed_at=NOON, shipping_cost=Decimal("4.50"))
    assert by_status() == {(DAY, "pending"): (1, 4050)}  # 16.00 + 20.00 + 4.50
    assert by_product() == {(MONTH, "MUG"): (2, 1600), (MONTH, "TEE"): (1, 2000)}
    assert rollups_check() == []


def test_rollups_follow_status_changes_and_drop_units_of_cancelled_orders(products, superuser):
    mug, _ = products
    order = make_order([(mug, 3)], placed_at=NOON)
    order = move_order(order, OrderStatus.PAID, user=superuser)
    assert by_status() == {(DAY, "paid"): (1, 2400)}
    assert by_product() == {(MONTH, "MUG"): (3, 2400)}
    move_order(order, OrderStatus.CANCELLED, user=superuser)
    assert by_status() == {(DAY, "cancelled"): (1, 2400)}  # still an order placed that day
    assert by_product() == {}  # but nothing sold
    assert rollups_check() == []


def test_rollups_follow_line_edits_and_a_new_date(products, superuser):
    mug, tee = products
    order = make_order([(mug, 1), (tee, 1)], placed_at=NOON)
    mug_line, tee_line = order.items.order_by("pk")
    mug_line.quantity, mug_line.unit_price = 4, Decimal("7.00")
    order.placed_at = NOON + timedelta(days=1)
    order_save(
        order=order,
        user=superuser,
        change=[mug_line],
        remove=[tee_line],
        add=[OrderItem(product=tee, quantity=2)],
    )
    next_day = DAY + timedelta(days=1)
    assert by_status() == {(next_day, "pending"): (1, 6800)}  # 4 x 7.00 + 2 x 20.00
    assert by_product() == {(MONTH, "MUG"): (4, 2800), (MONTH, "TEE"): (2, 4000)}
    # Into another month: the units move with it.
    order.refresh_from_db()
    order.placed_at = NOON + timedelta(days=15)
    order_save(order=order, user=superuser)
    assert by_product() == {
        (date(2026, 12, 1), "MUG"): (4, 2800),
        (date(2026, 12, 1), "TEE"): (2, 4000),
    }
    assert by_status() == {(date(2026, 12, 5), "pending"): (1, 6800)}
    assert rollups_check() == []


def test_rollups_forget_a_deleted_order(products, superuser):
    mug, _ = products
    kept = make_order([(mug, 1)], placed_at=NOON)
    order_delete(order=make_order([(mug, 2)], placed_at=NOON), user=superuser)
    assert by_status() == {(DAY, "pending"): (1, 800)}
    assert by_product() == {(MONTH, "MUG"): (1, 800)}
    order_delete(order=kept, user=superuser)
    assert by_status() == {} and by_product() == {}
    assert rollups_check() == []


def test_rollups_count_store_days_not_utc_days(settings, products):
    settings.TIME_ZONE = "Pacific/Auckland"  # UTC+13 in November
    mug, _ = products
    make_order([(mug, 1)], placed_at=datetime(2026, 11, 20, 12, 30, tzinfo=UTC))  # 21st, 01:30
    make_order([(mug, 1)], placed_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC))  # 20th, 22:00
    assert by_status() == {
        (date(2026, 11, 20), "pending"): (1, 800),
        (date(2026, 11, 21), "pending"): (1, 800),
    }
    assert rollups_check() == []
    before = every_row()
    rollups_rebuild()
    assert every_row() == before


def test_rollups_spread_orders_over_shards_by_id(products):
    mug, _ = products
    orders = [make_order([(mug, 1)], placed_at=NOON) for _ in range(3)]
    shards = set(DailyOrderRollup.objects.filter(orders__gt=0).values_list("shard", flat=True))
    assert shards == {order.pk % SHARDS for order in orders} and len(shards) == 3
    assert by_status() == {(DAY, "pending"): (3, 2400)}


def test_rollups_apply_writes_one_statement_per_table(products, django_assert_num_queries):
    """One statement per table; one for both on PostgreSQL (a WITH query)."""
    both = 1 if connection.vendor == "postgresql" else 2
    mug, tee = products
    order = make_order([(mug, 1), (tee, 2)], placed_at=NOON)
    with django_assert_num_queries(1):
        before = rollups_snapshot(order.pk)
    after = type(before)(before.order_id, before.day, "cancelled", before.total, before.lines)
    with django_assert_num_queries(both):  # the order's two status rows, two product rows
        rollups_apply(before, after)
    with django_assert_num_queries(0):  # a change that moves no figure writes nothing
        rollups_apply(after, after)
    assert by_status() == {(DAY, "cancelled"): (1, 4800)}
    assert by_product() == {}


def test_rollups_rebuild_equals_what_the_writes_kept(superuser):
    store_with_history(superuser)
    kept = every_row()
    assert rollups_check() == []
    DailyOrderRollup.objects.all().delete()
    MonthlyProductRollup.objects.all().delete()
    rollups_rebuild()
    # Zero rows (a status an order left) are not rebuilt; every other row is identical.
    assert every_row() == {row for row in kept if row[-1] or row[-2]}
    assert rollups_check() == []


def test_rollups_check_names_each_day_that_disagrees(products, capsys):
    mug, _ = products
    make_order([(mug, 2)], placed_at=NOON)
    DailyOrderRollup.objects.filter(orders=1).update(orders=3)
    MonthlyProductRollup.objects.update(units=5)
    MonthlyProductRollup.objects.create(month=date(2025, 1, 1), product=mug, units=1)
    found = {(row.table, row.day, row.key, row.expected, row.stored) for row in rollups_check()}
    assert found == {
        ("orders", DAY, "pending", (1, 1600), (3, 1600)),
        ("products", MONTH, "MUG", (2, 1600), (5, 1600)),
        ("products", date(2025, 1, 1), "MUG", (0, 0), (1, 0)),
    }
    with pytest.raises(SystemExit) as exit_:
        call_command("rollups_check")
    assert exit_.value.code == 1
    out, err = capsys.readouterr()
    assert "2026-11-20 orders   pending" in out
    assert "3 rollup row(s) disagree with the orders" in err

    call_command("rollups_rebuild")
    call_command("rollups_check")
    assert "The daily rollups agree with the orders." in capsys.readouterr().out
    assert by_status() == {(DAY, "pending"): (1, 1600)}


def test_rollups_rebuild_counts_orders_loaded_around_the_services(products):
    # What loaddata and manage.py seed do: rows written without the order services.
    mug, _ = products
    order = Order.objects.bulk_create(
        [Order(customer=make_customer(), number="ORD-LOADED", placed_at=NOON, total=16)]
    )[0]
    OrderItem.objects.bulk_create(
        [OrderItem(order=order, product=mug, quantity=2, unit_price=Decimal("8.00"))]
    )
    assert {row.key for row in rollups_check()} == {"pending", "MUG"}
    assert rollups_rebuild() == (1, 1)
    assert by_status() == {(DAY, "pending"): (1, 1600)}
    assert by_product() == {(MONTH, "MUG"): (2, 1600)}
    assert rollups_check() == []


def test_load_demo_leaves_the_rollups_agreeing_with_the_orders():
    call_command("load_demo", verbosity=0)
    assert Order.objects.exists()
    assert rollups_check() == []
    assert sum(n for n, _ in by_status().values()) == Order.objects.count()


def test_store_day_is_the_store_time_zones_day(settings):
    settings.TIME_ZONE = "America/New_York"
    assert store_day(datetime(2026, 11, 21, 3, 0, tzinfo=UTC)) == date(2026, 11, 20)


# Concurrency: orders placed and moved at once, rollups exact afterwards ------------------------

THREADS = 8


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_rollups_stay_exact_with_orders_placed_concurrently(superuser):
    products = [make_product(f"P{n}", stock=1000, price="3.00") for n in range(6)]
    customers = [make_customer() for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    errors: list[Exception] = []
    lock = threading.Lock()

    def place(n: int) -> None:
        try:
            start.wait()
            for k in range(6):
                lines = [(products[(n + k) % 6], 1), (products[(n + k + 1) % 6], 2)]
                order = make_order(lines, customer=customers[n], placed_at=NOON)
                if k % 2:
                    move_order(order, OrderStatus.PAID, user=superuser)
                if k % 3 == 2:
                    move_order(order, OrderStatus.CANCELLED, user=superuser)
        except Exception as error:  # a deadlock or a lost update would land here
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
    assert Order.objects.count() == THREADS * 6
    assert rollups_check() == []
    counts = by_status()
    assert sum(n for n, _ in counts.values()) == THREADS * 6
    assert counts[(DAY, "cancelled")][0] == THREADS * 2
    assert sum(u for u, _ in by_product().values()) == THREADS * 4 * 3


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_rollups_apply_concurrently_on_new_and_existing_rows_loses_nothing():
    # The upserts alone, without the order save around them (PostgreSQL and MariaDB): new
    # days and products are inserted by several transactions at once, existing ones added to.
    from django.db import transaction

    from orders.rollups import OrderFigures

    products = [make_product(f"P{n}", stock=0) for n in range(4)]
    start = threading.Barrier(THREADS)
    errors: list[Exception] = []
    lock = threading.Lock()

    def apply(n: int) -> None:
        try:
            start.wait()
            for k in range(20):
                day = DAY + timedelta(days=k % 5 * 4)  # November and December
                lines = ((products[k % 4].pk, 1, Decimal("2.50")),)
                figures = OrderFigures(n * 100 + k, day, "paid", Decimal("2.50"), lines)
                with transaction.atomic():
                    rollups_apply(None, figures)
        except Exception as error:
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=apply, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(n for n, _ in by_status().values()) == THREADS * 20
    assert by_status()[(DAY, "paid")] == (THREADS * 4, THREADS * 4 * 250)
    assert sum(u for u, _ in by_product().values()) == THREADS * 20
