"""Daily rollups of the orders, kept by the transaction that writes an order.

Two tables (``orders.models``): per store day and status, how many orders and their total
(``DailyOrderRollup``, spread over ``SHARDS`` rows by order id); per store month and
product, units and line revenue of the orders that hold stock (``MonthlyProductRollup``).
The dashboard reads these instead of the orders.

The order services call, inside their transaction and after the order's row lock::

    before = rollups_snapshot(order.pk)   # or order_figures(locked_row, its_lines); None if new
    ...write the order and its lines...
    rollups_apply(before, order_figures(order, final_lines))   # None after a delete

``rollups_apply`` adds the difference with one upsert per table, its rows in key order,
so two orders never wait for each other's rows in opposite orders. Anything that writes
orders around the services (``loaddata``, ``manage.py seed``) is followed by
``rollups_rebuild``; ``rollups_check`` lists the days where the rollups and the orders
disagree.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, models, transaction
from django.db.models import Max, Min, Q, Sum
from django.utils import timezone

from catalog.models import Product
from orders.models import (
    HOLDS_STOCK,
    DailyOrderRollup,
    MonthlyProductRollup,
    Order,
    OrderItem,
)

# Rows per (day, status). Order ids are consecutive, so concurrent orders land on
# different rows; 16 covers well beyond the 8 writers of the benchmark.
SHARDS = 16


@dataclass(frozen=True)
class OrderFigures:
    """What one order adds to the rollups."""

    order_id: int
    day: date
    status: str
    total: Decimal
    lines: tuple[tuple[int, int, Decimal], ...] = ()  # (product_id, quantity, unit_price)

    def with_status(self, status: str) -> "OrderFigures":
        """The same order in another status (a transition changes nothing else)."""
        return replace(self, status=status)


@dataclass(frozen=True)
class RollupDisagreement:
    """A day where a rollup disagrees with the orders: ``key`` is a status or a SKU."""

    table: str
    day: date
    key: str
    expected: tuple[int, int]  # (orders or units, cents)
    stored: tuple[int, int]


def store_day(moment: datetime) -> date:
    """The store's day (settings.TIME_ZONE, whatever time zone a request activated)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def store_midnight(day: date) -> datetime:
    """The aware moment the store's ``day`` begins."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def month_of(day: date) -> date:
    """The first day of ``day``'s month: the key of the product rollups."""
    return day.replace(day=1)


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


# Keeping them current --------------------------------------------------------------------------


def order_figures(order: Order, lines: Iterable[OrderItem]) -> OrderFigures:
    """What ``order`` with ``lines`` adds to the rollups, from objects in hand (no query)."""
    return OrderFigures(
        order.pk,
        store_day(order.placed_at),
        order.status,
        order.total,
        tuple((line.product_id, line.quantity, line.unit_price) for line in lines),
    )


def rollups_snapshot(order_id: int | None) -> OrderFigures | None:
    """Read what order ``order_id`` adds to the rollups now (one query); None if none."""
    if order_id is None:
        return None
    rows = list(
        Order.objects.filter(pk=order_id)
        .values_list(
            "placed_at",
            "status",
            "total",
            "items__product_id",
            "items__quantity",
            "items__unit_price",
        )
        .order_by()
    )
    if not rows:
        return None
    placed_at, status, total = rows[0][:3]
    lines = tuple((row[3], row[4], row[5]) for row in rows if row[3] is not None)
    return OrderFigures(order_id, store_day(placed_at), status, total, lines)


def rollups_apply(before: OrderFigures | None, after: OrderFigures | None) -> None:
    """Move the rollups from what the order added (``before``) to what it adds now."""
    orders: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    products: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for figures, sign in ((before, -1), (after, 1)):
        if figures is None:
            continue
        row = orders[(figures.day, figures.status, figures.order_id % SHARDS)]
        row[0] += sign
        row[1] += sign * cents(figures.total)
        if figures.status in HOLDS_STOCK:
            for product_id, quantity, unit_price in figures.lines:
                row = products[(month_of(figures.day), product_id)]
                row[0] += sign * quantity
                row[1] += sign * cents(quantity * unit_price)
    statements = [
        statement
        for statement in (
            _upsert(
                DailyOrderRollup, ["day", "status", "shard"], ["orders", "total_cents"], orders
            ),
            _upsert(
                MonthlyProductRollup, ["month", "product"], ["units", "revenue_cents"], products
            ),
        )
        if statement is not None
    ]
    if connection.vendor == "postgresql" and len(statements) == 2:
        # One round trip for both: the first upsert runs as a WITH query of the second.
        (first, first_params), (second, second_params) = statements
        statements = [(f"WITH daily AS ({first}) {second}", first_params + second_params)]
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def _upsert(
    model, keys: list[str], sums: list[str], rows: dict[tuple, list[int]]
) -> tuple[str, list] | None:
    """The statement that adds ``rows`` (key values -> amounts) to ``model``'s rows."""
    changed = sorted((key, amounts) for key, amounts in rows.items() if any(amounts))
    if not changed:
        return None
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    key_columns = [qn(model._meta.get_field(name).column) for name in keys]
    sum_columns = [qn(name) for name in sums]
    columns = ", ".join(key_columns + sum_columns)
    placeholders = ", ".join(
        ["(" + ", ".join(["%s"] * (len(keys) + len(sums))) + ")"] * len(changed)
    )
    if connection.vendor == "mysql":
        update = ", ".join(f"{c} = {c} + VALUES({c})" for c in sum_columns)
        conflict = f"ON DUPLICATE KEY UPDATE {update}"
    else:  # PostgreSQL and SQLite
        update = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in sum_columns)
        conflict = f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET {update}"
    params = [value for key, amounts in changed for value in (*key, *amounts)]
    return f"INSERT INTO {table} ({columns}) VALUES {placeholders} {conflict}", params


# Reading them ----------------------------------------------------------------------------------


def rollups_by_day(first: date, last: date) -> dict[tuple[date, str], tuple[int, Decimal]]:
    """(day, status) -> (orders, total) for the store days ``first`` to ``last``."""
    rows = (
        DailyOrderRollup.objects.filter(day__range=(first, last))
        .values_list("day", "status")
        .annotate(n=Sum("orders"), total=Sum("total_cents"))
        .order_by()
    )
    return {
        (day, status): (int(n), Decimal(int(total)) / 100)
        for day, status, n, total in rows
        if n or total
    }


def rollups_top_products(month: date, limit: int = 10) -> list[dict]:
    """The ``limit`` products with most units sold in the store month that starts on
    ``month`` (orders that hold stock), ties by SKU: product_id, product__sku,
    product__name, units, revenue.

    One statement, two short walks down the ranking index: the ``limit``-th best number
    of units, then the products at or above it (ties included) with their names.
    """
    rollup = MonthlyProductRollup._meta.db_table
    product = Product._meta.db_table
    sql = f"""
        SELECT p.id, p.sku, p.name, r.units, r.revenue_cents
        FROM {rollup} r JOIN {product} p ON p.id = r.product_id
        WHERE r.month = %s AND r.units >= COALESCE(
            (SELECT units FROM {rollup} WHERE month = %s
             ORDER BY units DESC LIMIT 1 OFFSET %s), 1)
        ORDER BY r.units DESC, p.sku LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [month, month, limit - 1, limit])
        return [
            {
                "product_id": pk,
                "product__sku": sku,
                "product__name": name,
                "units": int(units),
                "revenue": Decimal(int(revenue)) / 100,
            }
            for pk, sku, name, units, revenue in cursor.fetchall()
        ]


# Rebuilding and checking -----------------------------------------------------------------------


@transaction.atomic
def rollups_rebuild() -> tuple[int, int]:
    """Rebuild both rollups from the orders; return the rows written (orders, products).

    On PostgreSQL the tables are locked first: orders written meanwhile wait and then add
    their change to the rebuilt rows. Elsewhere run it while no orders are written.
    """
    tables = [DailyOrderRollup._meta.db_table, MonthlyProductRollup._meta.db_table]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")
            cursor.execute(f"DELETE FROM {tables[0]}")
            cursor.execute(f"DELETE FROM {tables[1]}")
            cursor.execute(
                f"INSERT INTO {tables[0]} (day, status, shard, orders, total_cents) "
                + _pg_expected_orders(shards=True),
                [timezone.get_default_timezone_name()],
            )
            written_orders = cursor.rowcount
            cursor.execute(
                f"INSERT INTO {tables[1]} (month, product_id, units, revenue_cents) "
                + _pg_expected_products(),
                [timezone.get_default_timezone_name(), *HOLDS_STOCK],
            )
            return written_orders, cursor.rowcount
    DailyOrderRollup.objects.all().delete()
    MonthlyProductRollup.objects.all().delete()
    written = [0, 0]
    for first, last in _windows():
        orders, products = _expected(first, last)
        DailyOrderRollup.objects.bulk_create(
            DailyOrderRollup(day=d, status=s, shard=h, orders=n, total_cents=c)
            for (d, s, h), (n, c) in orders.items()
        )
        MonthlyProductRollup.objects.bulk_create(
            MonthlyProductRollup(month=m, product_id=p, units=u, revenue_cents=c)
            for (m, p), (u, c) in products.items()
        )
        written[0] += len(orders)
        written[1] += len(products)
    return written[0], written[1]


def rollups_check() -> list[RollupDisagreement]:
    """Return every (day, status) and (month, product) where the rollups and the orders
    disagree, in date order (``day`` is the month's first day for products). Empty when
    they agree."""
    if connection.vendor == "postgresql":
        found = _pg_check()
    else:
        with transaction.atomic():  # one snapshot (InnoDB), one read lock (SQLite)
            found = _generic_check()
    skus = dict(
        Product.objects.filter(
            pk__in=[int(row.key) for row in found if row.table == "products"]
        ).values_list("pk", "sku")
    )
    return [
        RollupDisagreement(
            row.table, row.day, skus.get(int(row.key), row.key), row.expected, row.stored
        )
        if row.table == "products"
        else row
        for row in found
    ]


def _pg_expected_orders(*, shards: bool) -> str:
    shard = f", id %% {SHARDS}" if shards else ""  # %% : a literal % beside params
    group = "1, 2, 3" if shards else "1, 2"
    return (
        f"SELECT (placed_at AT TIME ZONE %s)::date, status{shard}, COUNT(*), "
        f"SUM(total * 100)::bigint FROM {Order._meta.db_table} GROUP BY {group}"
    )


def _pg_expected_products() -> str:
    statuses = ", ".join(["%s"] * len(HOLDS_STOCK))
    return (
        "SELECT date_trunc('month', o.placed_at AT TIME ZONE %s)::date, i.product_id, "
        "SUM(i.quantity), "
        "SUM(i.quantity * i.unit_price * 100)::bigint "
        f"FROM {OrderItem._meta.db_table} i JOIN {Order._meta.db_table} o "
        f"ON o.id = i.order_id WHERE o.status IN ({statuses}) GROUP BY 1, 2"
    )


def _pg_check() -> list[RollupDisagreement]:
    tz = timezone.get_default_timezone_name()
    queries = [
        (
            "orders",
            _pg_expected_orders(shards=False),
            [tz],
            f"SELECT day, status, SUM(orders), SUM(total_cents) "
            f"FROM {DailyOrderRollup._meta.db_table} GROUP BY 1, 2",
        ),
        (
            "products",
            _pg_expected_products(),
            [tz, *HOLDS_STOCK],
            f"SELECT month, product_id, SUM(units), SUM(revenue_cents) "
            f"FROM {MonthlyProductRollup._meta.db_table} GROUP BY 1, 2",
        ),
    ]
    found = []
    with connection.cursor() as cursor:
        for table, expected, params, stored in queries:
            # One statement, so one snapshot: orders committed meanwhile are not a mismatch.
            cursor.execute(
                f"WITH e (day, k, a, b) AS ({expected}), s (day, k, a, b) AS ({stored}) "
                "SELECT COALESCE(e.day, s.day), COALESCE(e.k, s.k), COALESCE(e.a, 0), "
                "COALESCE(e.b, 0), COALESCE(s.a, 0), COALESCE(s.b, 0) "
                "FROM e FULL JOIN s ON e.day = s.day AND e.k = s.k "
                "WHERE COALESCE(e.a, 0) <> COALESCE(s.a, 0) "
                "OR COALESCE(e.b, 0) <> COALESCE(s.b, 0) ORDER BY 1, 2",
                params,
            )
            found += [
                RollupDisagreement(table, day, str(key), (int(ea), int(eb)), (int(sa), int(sb)))
                for day, key, ea, eb, sa, sb in cursor.fetchall()
            ]
    return sorted(found, key=lambda row: (row.day, row.table))


def _windows() -> Iterable[tuple[date, date]]:
    """The store months (first and last day) from the first order to the last."""
    span = Order.objects.aggregate(first=Min("placed_at"), last=Max("placed_at"))
    if span["first"] is None:
        return
    month, last = month_of(store_day(span["first"])), store_day(span["last"])
    while month <= last:
        following = month_of(month + timedelta(days=31))
        yield month, following - timedelta(days=1)
        month = following


def _expected(first: date, last: date) -> tuple[dict, dict]:
    """What the rollups of the days ``first`` to ``last`` should hold, counted from the
    orders in Python (store days without time zones in SQL: MariaDB may lack the tables).
    """
    placed = Q(placed_at__gte=store_midnight(first)) & Q(
        placed_at__lt=store_midnight(last + timedelta(days=1))
    )
    orders: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    rows = Order.objects.filter(placed).values_list("pk", "placed_at", "status", "total")
    for pk, placed_at, status, total in rows.order_by().iterator(chunk_size=5000):
        row = orders[(store_day(placed_at), status, pk % SHARDS)]
        row[0] += 1
        row[1] += cents(total)
    products: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    lines = OrderItem.objects.filter(
        order__in=Order.objects.filter(placed, status__in=HOLDS_STOCK)
    ).values_list("order__placed_at", "product_id", "quantity", "unit_price")
    for placed_at, product_id, quantity, unit_price in lines.order_by().iterator(chunk_size=5000):
        row = products[(month_of(store_day(placed_at)), product_id)]
        row[0] += quantity
        row[1] += cents(quantity * unit_price)
    return orders, products


def _generic_check() -> list[RollupDisagreement]:
    found: list[RollupDisagreement] = []
    for first, last in _windows():
        orders, products = _expected(first, last)
        by_status: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for (day, status, _), (n, c) in orders.items():
            by_status[(day, status)][0] += n
            by_status[(day, status)][1] += c
        found += _compare("orders", by_status, _stored(DailyOrderRollup, "status", first, last))
        found += _compare(
            "products", products, _stored(MonthlyProductRollup, "product", first, last)
        )
    # Rows outside the months of any order must be empty.
    for model, key in [(DailyOrderRollup, "status"), (MonthlyProductRollup, "product")]:
        date_field, sums = DATE[model], SUMS[model]
        outside = Q(**{f"{date_field}__in": []})
        for first, last in _windows():
            outside |= Q(**{f"{date_field}__range": (first, last)})
        rows = model.objects.exclude(outside).exclude(**{sums[0]: 0, sums[1]: 0})
        table = "orders" if model is DailyOrderRollup else "products"
        for day, k, a, b in rows.values_list(date_field, key, *sums):
            found.append(RollupDisagreement(table, day, str(k), (0, 0), (a, b)))
    return sorted(found, key=lambda row: (row.day, row.table))


SUMS = {
    DailyOrderRollup: ("orders", "total_cents"),
    MonthlyProductRollup: ("units", "revenue_cents"),
}
DATE = {DailyOrderRollup: "day", MonthlyProductRollup: "month"}


def _stored(model: type[models.Model], key: str, first: date, last: date) -> dict:
    rows = (
        model.objects.filter(**{f"{DATE[model]}__range": (first, last)})
        .values_list(DATE[model], key)
        .annotate(a=Sum(SUMS[model][0]), b=Sum(SUMS[model][1]))
        .order_by()
    )
    return {(day, k): (int(a), int(b)) for day, k, a, b in rows}


def _compare(table: str, expected: dict, stored: dict) -> list[RollupDisagreement]:
    found = []
    for day, key in expected.keys() | stored.keys():
        want = tuple(expected.get((day, key), (0, 0)))
        have = tuple(stored.get((day, key), (0, 0)))
        if want != have:
            found.append(RollupDisagreement(table, day, str(key), want, have))
    return found
