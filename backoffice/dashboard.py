"""The dashboard on /admin/: the store at a glance, in a fixed number of queries.

Each block needs a view permission; links that lead to work (restocking, shipping) are
shown only to roles that can do that work. Sales figures come from the daily rollups
(``orders.rollups``), kept current by every order write, so neither the number of
queries nor the rows they read grow with the number of orders. Periods are store days
(settings.TIME_ZONE): "last 7 days" is today and the 6 days before.
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html

from catalog.admin.images import thumbnail_html
from catalog.models import (
    Product,
    StockMovement,
    StockState,
    with_main_thumbnail,
)
from foundation.display import currency, money, when
from foundation.links import reference_text
from orders.models import HOLDS_STOCK, ORDER_NUMBER_PREFIX, Order, OrderStatus
from orders.rollups import month_of, rollups_by_day, rollups_top_products, store_day

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Kpi:
    title: str
    value: str
    change: str = ""
    link: str = ""
    # "good" (green) or "bad" (red) for a change worth a colour; "" for none.
    tone: str = ""


def _change(current: Decimal | int, previous: Decimal | int) -> str:
    if not previous:
        return "new" if current else "±0%"
    percent = (Decimal(current) - Decimal(previous)) * 100 / Decimal(previous)
    return f"{percent:+.0f}% vs previous period"


def _tone(current: Decimal | int, previous: Decimal | int, *, more_is_better: bool = True) -> str:
    """Green for a change in the good direction, red for the other; none for no change.

    Revenue and orders: more is better. A figure where more is worse (a queue of work)
    passes ``more_is_better=False``.
    """
    if current == previous:
        return ""
    return "good" if (current > previous) == more_is_better else "bad"


def _money(value: Decimal | None) -> str:
    return money(value or ZERO)


Sales = dict[tuple[date, str], tuple[int, Decimal]]


def sales_by_day(today: date) -> Sales:
    """(day, status) -> (orders, total) for the 60 store days up to ``today``, from the
    rollups: one query over a few hundred rows, whatever the number of orders."""
    return rollups_by_day(today - timedelta(days=59), today)


def _sum(sales: Sales, first: date, last: date, statuses=None) -> tuple[int, Decimal]:
    count, total = 0, ZERO
    for (day, status), (n, amount) in sales.items():
        if first <= day <= last and (statuses is None or status in statuses):
            count, total = count + n, total + amount
    return count, total


def sales_kpis(sales: Sales, today: date) -> list[Kpi]:
    """Revenue and order counts today / 7 / 30 store days, each against the days before."""
    periods = {"today": 1, "last 7 days": 7, "last 30 days": 30}
    revenue, orders = [], []
    for label, days in periods.items():
        first, before = today - timedelta(days=days - 1), today - timedelta(days=2 * days - 1)
        now_rev = _sum(sales, first, today, HOLDS_STOCK)[1]
        prev_rev = _sum(sales, before, first - timedelta(days=1), HOLDS_STOCK)[1]
        now_n = _sum(sales, first, today)[0]
        prev_n = _sum(sales, before, first - timedelta(days=1))[0]
        revenue.append(
            Kpi(
                f"Revenue {label}",
                _money(now_rev),
                _change(now_rev, prev_rev),
                tone=_tone(now_rev, prev_rev),
            )
        )
        orders.append(
            Kpi(f"Orders {label}", f"{now_n:,}", _change(now_n, prev_n), tone=_tone(now_n, prev_n))
        )
    return revenue + orders


def stock_kpis(user) -> tuple[Kpi, Kpi]:
    """Active products out of stock and low on stock, linked for those who restock."""
    # Out and low are both "at or below the threshold" (thresholds are >= 0): that is the
    # condition of a partial index (catalog migration 0010), so only those few are read.
    counts = Product.objects.filter(is_active=True, stock__lte=F("low_stock_threshold")).aggregate(
        out=Count("stock", filter=Q(stock__lte=0)),  # "stock": read from the index alone
        low=Count("stock", filter=Q(stock__gt=0)),
    )
    may_restock = user.has_perm("catalog.adjust_stock") or user.has_perm("catalog.change_product")
    url = reverse("admin:catalog_product_changelist")

    def link(state: str) -> str:
        if not may_restock:
            return ""
        return f"{url}?{urlencode({'stock_state': state, 'is_active__exact': 1})}"

    return (
        Kpi("Out of stock", f"{counts['out']:,}", "active products at 0", link(StockState.OUT)),
        Kpi(
            "Low on stock",
            f"{counts['low']:,}",
            "at or below their threshold",
            link(StockState.LOW),
        ),
    )


def waiting_kpi(user) -> Kpi:
    paid = Order.objects.filter(status=OrderStatus.PAID).count()
    link = ""
    if user.has_perm("orders.mark_shipped"):
        url = reverse("admin:orders_order_changelist")
        link = f"{url}?{urlencode({'status': OrderStatus.PAID})}"
    return Kpi("Waiting for shipment", f"{paid:,}", "paid, not shipped yet", link)


def revenue_per_day(sales: Sales, today: date, days: int = 30) -> dict:
    labels = [today - timedelta(days=n) for n in reversed(range(days))]
    return {
        "labels": [formats.date_format(day, "MONTH_DAY_FORMAT") for day in labels],
        "datasets": [
            {
                "label": "Revenue",
                "data": [float(_sum(sales, day, day, HOLDS_STOCK)[1]) for day in labels],
                "backgroundColor": "var(--color-primary-600)",
                # Unfold's chart: amounts on the y axis ("500 EUR"), a label every few days.
                "displayYAxis": True,
                "suffixYAxis": currency(),
                "maxTicksXLimit": 10,
            }
        ],
    }


# The statuses staff act on get the chart; the finished ones, far more numerous, are counts
# beside it, so that 40 delivered orders do not flatten 3 pending ones into the axis.
ACTIONABLE = [OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.SHIPPED]
FINISHED = [OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.RETURNED]


def orders_by_status(sales: Sales, today: date, days: int = 30) -> dict:
    first = today - timedelta(days=days - 1)
    return {
        "labels": [status.label for status in ACTIONABLE],
        "datasets": [
            {
                "label": f"Orders, last {days} days",
                "data": [_sum(sales, first, today, {status})[0] for status in ACTIONABLE],
                "backgroundColor": [
                    "var(--color-orange-400)",
                    "var(--color-blue-500)",
                    "var(--color-primary-500)",
                ],
                "displayYAxis": True,
                "maxBarThickness": 48,
            }
        ],
    }


def finished_orders(sales: Sales, today: date, days: int = 30) -> list[dict]:
    """Delivered, cancelled and returned orders placed in the last ``days`` days: counts."""
    first = today - timedelta(days=days - 1)
    return [
        {"label": status.label, "count": _sum(sales, first, today, {status})[0]}
        for status in FINISHED
    ]


def top_products(today: date, limit: int = 10) -> list[dict]:
    """The best sellers of the store month so far (one rollup row per product and month)."""
    rows = rollups_top_products(month_of(today), limit)
    # The pictures of these few products only, in one more query.
    thumbnails = dict(
        with_main_thumbnail(
            Product.objects.filter(pk__in=[r["product_id"] for r in rows])
        ).values_list("pk", "main_thumbnail")
    )
    for row in rows:
        row["thumbnail"] = thumbnails.get(row["product_id"])
    return rows


def low_stock(limit: int = 10) -> list[Product]:
    """The active products out of stock or at or below their threshold, emptiest first.

    The condition is the partial index's (catalog migration 0009): only its entries are read.
    """
    return list(
        with_main_thumbnail(
            Product.objects.filter(is_active=True, stock__lte=F("low_stock_threshold"))
        )
        .only("pk", "sku", "name", "stock", "low_stock_threshold")
        .order_by("stock", "sku")[:limit]
    )


def to_ship(limit: int = 10) -> list[Order]:
    """Paid orders, the longest waiting first (the status index, read backwards)."""
    return list(
        Order.objects.filter(status=OrderStatus.PAID)
        .select_related("customer")
        .only("pk", "number", "total", "placed_at", "customer__first_name", "customer__last_name")
        .order_by("placed_at", "id")[:limit]
    )


def _link(url: str, text) -> str:
    return format_html(
        '<a href="{}" class="text-primary-600 dark:text-primary-500">{}</a>', url, text
    )


def _product_link(product_id: int, text) -> str:
    return _link(reverse("admin:catalog_product_change", args=[product_id]), text)


def _reference_links(movements: list[StockMovement]) -> dict[str, str]:
    """Ledger reference -> link to its order (one query for the orders these rows name)."""
    prefix = f"order:{ORDER_NUMBER_PREFIX}"
    numbers = {m.reference[len("order:") :] for m in movements if m.reference.startswith(prefix)}
    if not numbers:
        return {}
    orders = Order.objects.filter(number__in=numbers).values_list("number", "pk")
    return {
        f"order:{number}": _link(
            reverse("admin:orders_order_change", args=[pk]), reference_text(f"order:{number}")
        )
        for number, pk in orders
    }


def latest_movements(limit: int = 10) -> list[StockMovement]:
    return list(
        StockMovement.objects.select_related("product", "created_by").order_by(
            "-created_at", "-id"
        )[:limit]
    )


PERMISSIONS_THAT_SHAPE_IT = (
    "orders.view_order",
    "catalog.view_product",
    "catalog.view_stockmovement",
    "catalog.adjust_stock",
    "catalog.change_product",
    "orders.mark_shipped",
)


def dashboard_callback(request: HttpRequest, context: dict) -> dict:
    """Unfold's DASHBOARD_CALLBACK: add the blocks this user may see to the index page.

    The blocks are the same for every user with the same relevant permissions, so they are
    computed once per DASHBOARD_CACHE_SECONDS for each such combination (shared cache).
    """
    user = request.user
    shape = "".join("1" if user.has_perm(perm) else "0" for perm in PERMISSIONS_THAT_SHAPE_IT)
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if seconds:
        blocks = cache.get_or_set(f"dashboard:v2:{shape}", lambda: dashboard_blocks(user), seconds)
    else:
        blocks = dashboard_blocks(user)
    context.update(blocks)
    return context


def dashboard_blocks(user) -> dict:
    """Compute every block ``user`` may see."""
    today = store_day(timezone.now())
    may_view_orders = user.has_perm("orders.view_order")
    may_view_products = user.has_perm("catalog.view_product")
    blocks: dict = {"dashboard": True, "store_name": settings.STORE_NAME}
    if may_view_orders:
        sales = sales_by_day(today)
        blocks["sales_kpis"] = sales_kpis(sales, today)
        blocks["waiting"] = waiting_kpi(user)
        blocks["revenue_chart"] = json.dumps(revenue_per_day(sales, today))
        blocks["status_chart"] = json.dumps(orders_by_status(sales, today))
        blocks["finished_orders"] = finished_orders(sales, today)
        blocks["to_ship"] = {
            "headers": ["Order", "Customer", "Total", "Placed"],
            "rows": [
                [
                    _link(reverse("admin:orders_order_change", args=[o.pk]), o.number),
                    o.customer.full_name,
                    money(o.total),
                    when(o.placed_at),
                ]
                for o in to_ship()
            ],
        }
    if may_view_products:
        blocks["stock_kpis"] = stock_kpis(user)
        blocks["low_stock"] = {
            "headers": ["", "SKU", "Product", "Stock", "Threshold"],
            "rows": [
                [
                    thumbnail_html(p.main_thumbnail, p.name, 32),
                    p.sku,
                    _product_link(p.pk, p.name),
                    {
                        "content": p.stock,
                        "class": "font-semibold "
                        + ("text-red-600 dark:text-red-400" if p.stock <= 0 else ""),
                    },
                    p.low_stock_threshold,
                ]
                for p in low_stock()
            ],
        }
    if may_view_orders and may_view_products:
        blocks["top_products"] = {
            "headers": ["", "SKU", "Product", "Units", "Revenue"],
            "rows": [
                [
                    thumbnail_html(row["thumbnail"], row["product__name"], 32),
                    row["product__sku"],
                    _product_link(row["product_id"], row["product__name"]),
                    row["units"],
                    _money(row["revenue"]),
                ]
                for row in top_products(today)
            ],
        }
    if user.has_perm("catalog.view_stockmovement"):
        movements = latest_movements()
        references = _reference_links(movements) if may_view_orders else {}
        blocks["movements"] = {
            "headers": ["When", "SKU", "Qty", "Balance", "Reason", "Reference"],
            "rows": [
                [
                    when(m.created_at),
                    _product_link(m.product_id, m.product.sku)
                    if may_view_products
                    else m.product.sku,
                    f"{m.quantity:+d}",
                    m.balance,
                    m.get_reason_display(),
                    references.get(m.reference, reference_text(m.reference) or "—"),
                ]
                for m in movements
            ],
        }
    return blocks
