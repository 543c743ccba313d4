"""The dashboard on /admin/: the store at a glance, in a fixed number of queries.

Each block needs a view permission; links that lead to work (restocking, shipping) are
shown only to roles that can do that work. The queries read at most the last 60 days of
orders (through the placed-at index), so their number never depends on the data size.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, DecimalField, F, Q, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from catalog.admin.images import thumbnail_html
from catalog.models import (
    STOCK_STATE_QUERIES,
    Product,
    StockMovement,
    StockState,
    with_main_thumbnail,
)
from orders.models import HOLDS_STOCK, Order, OrderItem, OrderStatus

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


def sales_kpis(now: datetime) -> list[Kpi]:
    """Revenue and order counts today / 7 / 30 days, each against the period before."""
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    bounds = {
        "today": (today, today - timedelta(days=1)),
        "7": (now - timedelta(days=7), now - timedelta(days=14)),
        "30": (now - timedelta(days=30), now - timedelta(days=60)),
    }
    sold = Q(status__in=HOLDS_STOCK)
    aggregates = {}
    for key, (start, previous_start) in bounds.items():
        now_window = Q(placed_at__gte=start)
        before = Q(placed_at__gte=previous_start, placed_at__lt=start)
        aggregates[f"rev_{key}"] = Sum("total", filter=now_window & sold)
        aggregates[f"prev_rev_{key}"] = Sum("total", filter=before & sold)
        aggregates[f"n_{key}"] = Count("pk", filter=now_window)
        aggregates[f"prev_n_{key}"] = Count("pk", filter=before)
    figures = Order.objects.filter(placed_at__gte=now - timedelta(days=60)).aggregate(**aggregates)
    labels = {"today": "today", "7": "last 7 days", "30": "last 30 days"}
    kpis = []
    for key, label in labels.items():
        revenue, previous = figures[f"rev_{key}"] or ZERO, figures[f"prev_rev_{key}"] or ZERO
        kpis.append(Kpi(f"Revenue {label}", _money(revenue), _change(revenue, previous)))
    for key, label in labels.items():
        count, previous = figures[f"n_{key}"], figures[f"prev_n_{key}"]
        kpis.append(Kpi(f"Orders {label}", str(count), _change(count, previous)))
    return kpis


def stock_kpis(user) -> tuple[Kpi, Kpi]:
    """Active products out of stock and low on stock, linked for those who restock."""
    counts = Product.objects.filter(is_active=True).aggregate(
        out=Count("pk", filter=STOCK_STATE_QUERIES[StockState.OUT]),
        low=Count("pk", filter=STOCK_STATE_QUERIES[StockState.LOW]),
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


def revenue_per_day(now: datetime, days: int = 30) -> dict:
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    first = midnight - timedelta(days=days - 1)
    start = first.date()
    # Days are the store's days (TIME_ZONE), counted here rather than by the database:
    # MySQL/MariaDB need time-zone tables for that, and answer NULL without them.
    by_day: dict[date, Decimal] = {}
    rows = Order.objects.filter(placed_at__gte=first, status__in=HOLDS_STOCK).values_list(
        "placed_at", "total"
    )
    for placed_at, total in rows.iterator(chunk_size=5000):
        day = timezone.localtime(placed_at).date()
        by_day[day] = by_day.get(day, ZERO) + total
    labels = [start + timedelta(days=n) for n in range(days)]
    return {
        "labels": [day.strftime("%d %b") for day in labels],
        "datasets": [
            {
                "label": "Revenue",
                "data": [float(by_day.get(day, 0)) for day in labels],
                "backgroundColor": "var(--color-primary-600)",
            }
        ],
    }


def orders_by_status(now: datetime, days: int = 30) -> dict:
    counts = dict(
        Order.objects.filter(placed_at__gte=now - timedelta(days=days))
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {
        "labels": [label for _, label in OrderStatus.choices],
        "datasets": [
            {
                "label": f"Orders, last {days} days",
                "data": [counts.get(value, 0) for value, _ in OrderStatus.choices],
                "backgroundColor": "var(--color-primary-400)",
            }
        ],
    }


def top_products(now: datetime, limit: int = 10, days: int = 30) -> list[dict]:
    line_total = F("quantity") * F("unit_price")
    rows = list(
        OrderItem.objects.filter(
            order__placed_at__gte=now - timedelta(days=days), order__status__in=HOLDS_STOCK
        )
        .values("product_id", "product__sku", "product__name")
        .annotate(
            units=Sum("quantity"),
            revenue=Coalesce(Sum(line_total, output_field=DecimalField()), ZERO),
        )
        .order_by("-units", "product__sku")[:limit]
    )
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
    now = timezone.now()
    may_view_orders = user.has_perm("orders.view_order")
    may_view_products = user.has_perm("catalog.view_product")
    blocks: dict = {"dashboard": True}
    if may_view_orders:
        blocks["sales_kpis"] = sales_kpis(now)
        blocks["waiting"] = waiting_kpi(user)
        blocks["revenue_chart"] = json.dumps(revenue_per_day(now))
        blocks["status_chart"] = json.dumps(orders_by_status(now))
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
                for row in top_products(now)
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
