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
from django.utils import timezone

from catalog.admin.images import thumbnail_html
from catalog.models import (
    Product,
    StockMovement,
    StockState,
    with_main_thumbnail,
)
from orders.models import HOLDS_STOCK, Order, OrderStatus
from orders.rollups import month_of, rollups_by_day, rollups_top_products, store_day

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Kpi:
    title: str
    value: str
    change: str = ""
    link: str = ""


def _change(current: Decimal | int, previous: Decimal | int) -> str:
    if not previous:
        return "new" if current else "±0%"
    percent = (Decimal(current) - Decimal(previous)) * 100 / Decimal(previous)
    return f"{percent:+.0f}% vs previous period"


def _money(value: Decimal | None) -> str:
    return f"{value or ZERO:,.2f}"


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
        revenue.append(Kpi(f"Revenue {label}", _money(now_rev), _change(now_rev, prev_rev)))
        orders.append(Kpi(f"Orders {label}", str(now_n), _change(now_n, prev_n)))
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
        Kpi("Out of stock", str(counts["out"]), "active products at 0", link(StockState.OUT)),
        Kpi(
            "Low on stock", str(counts["low"]), "at or below their threshold", link(StockState.LOW)
        ),
    )


def waiting_kpi(user) -> Kpi:
    paid = Order.objects.filter(status=OrderStatus.PAID).count()
    link = ""
    if user.has_perm("orders.mark_shipped"):
        url = reverse("admin:orders_order_changelist")
        link = f"{url}?{urlencode({'status': OrderStatus.PAID})}"
    return Kpi("Waiting for shipment", str(paid), "paid, not shipped yet", link)


def revenue_per_day(sales: Sales, today: date, days: int = 30) -> dict:
    labels = [today - timedelta(days=n) for n in reversed(range(days))]
    return {
        "labels": [day.strftime("%d %b") for day in labels],
        "datasets": [
            {
                "label": "Revenue",
                "data": [float(_sum(sales, day, day, HOLDS_STOCK)[1]) for day in labels],
                "backgroundColor": "var(--color-primary-600)",
            }
        ],
    }


def orders_by_status(sales: Sales, today: date, days: int = 30) -> dict:
    first = today - timedelta(days=days - 1)
    return {
        "labels": [label for _, label in OrderStatus.choices],
        "datasets": [
            {
                "label": f"Orders, last {days} days",
                "data": [_sum(sales, first, today, {value})[0] for value, _ in OrderStatus.choices],
                "backgroundColor": "var(--color-primary-400)",
            }
        ],
    }


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
        blocks = cache.get_or_set(f"dashboard:v1:{shape}", lambda: dashboard_blocks(user), seconds)
    else:
        blocks = dashboard_blocks(user)
    context.update(blocks)
    return context


def dashboard_blocks(user) -> dict:
    """Compute every block ``user`` may see."""
    today = store_day(timezone.now())
    may_view_orders = user.has_perm("orders.view_order")
    may_view_products = user.has_perm("catalog.view_product")
    blocks: dict = {"dashboard": True}
    if may_view_orders:
        sales = sales_by_day(today)
        blocks["sales_kpis"] = sales_kpis(sales, today)
        blocks["waiting"] = waiting_kpi(user)
        blocks["revenue_chart"] = json.dumps(revenue_per_day(sales, today))
        blocks["status_chart"] = json.dumps(orders_by_status(sales, today))
    if may_view_products:
        blocks["stock_kpis"] = stock_kpis(user)
    if may_view_orders and may_view_products:
        blocks["top_products"] = {
            "headers": ["", "SKU", "Product", "Units", "Revenue"],
            "rows": [
                [
                    thumbnail_html(row["thumbnail"], row["product__name"], 32),
                    row["product__sku"],
                    row["product__name"],
                    row["units"],
                    _money(row["revenue"]),
                ]
                for row in top_products(today)
            ],
        }
    if user.has_perm("catalog.view_stockmovement"):
        blocks["movements"] = {
            "headers": ["When", "SKU", "Qty", "Balance", "Reason", "Reference"],
            "rows": [
                [
                    timezone.localtime(m.created_at).strftime("%d %b %H:%M"),
                    m.product.sku,
                    f"{m.quantity:+d}",
                    m.balance,
                    m.get_reason_display(),
                    m.reference or "—",
                ]
                for m in latest_movements()
            ],
        }
    return blocks
