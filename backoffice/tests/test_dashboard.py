"""The dashboard: figures on a hand-made store, blocks per role, bounded queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import make_product
from orders.rollups import month_of, store_day
from orders.tests.factories import make_customer, make_order, move_order, store_with_history

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


@pytest.fixture
def store(superuser):
    """A, B and C; five orders placed today, 3, 5, 10 and 40 days ago, moved through the
    workflow by the services (so stock and rollups follow)."""
    now = timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    a = make_product("A", stock=20, price="10.00")
    b = make_product("B", stock=10, price="5.00")
    make_product("C", stock=0, price="1.00")  # out of stock
    customer = make_customer()
    orders = [
        make_order([(a, 2)], customer=customer, placed_at=today + timedelta(seconds=1)),
        make_order([(b, 4)], customer=customer, placed_at=now - timedelta(days=3)),
        make_order([(a, 1)], customer=customer, placed_at=now - timedelta(days=10)),
        make_order([(a, 1)], customer=customer, placed_at=now - timedelta(days=5)),
        make_order([(b, 1)], customer=customer, placed_at=now - timedelta(days=40)),
    ]
    walks = [(), ("paid",), ("paid", "shipped", "delivered"), ("cancelled",)]
    walks.append(("paid", "shipped", "delivered"))
    for order, walk in zip(orders, walks, strict=True):
        move_order(order, *walk, user=superuser)
    # B: 10 - 4 - 1 = 5, at its threshold: low. A: 20 - 2 - 1 = 17 (the cancelled order
    # gave its unit back).


def kpis(response) -> dict[str, tuple[str, str, str]]:
    context = response.context
    cards = list(context.get("sales_kpis") or []) + list(context.get("stock_kpis") or [])
    if context.get("waiting"):
        cards.append(context["waiting"])
    return {k.title: (k.value, k.change, k.link) for k in cards}


def test_dashboard_figures_on_a_hand_made_store(admin_client_super, store):
    response = admin_client_super.get(INDEX)
    assert response.status_code == 200
    figures = kpis(response)
    assert figures["Revenue today"][0] == "€20.00"
    assert figures["Revenue last 7 days"][0] == "€40.00"
    assert figures["Revenue last 30 days"][0] == "€50.00"
    assert figures["Revenue last 30 days"][1] == "+900% vs previous period"
    assert figures["Orders today"][0] == "1"
    assert figures["Orders last 7 days"][0] == "3"  # the cancelled order is an order placed
    assert figures["Orders last 30 days"][0] == "4"
    assert figures["Waiting for shipment"][0] == "1"
    assert figures["Out of stock"][0] == "1"
    assert figures["Low on stock"][0] == "1"
    # Top products are this month's: which of the older orders count depends on the date.
    month = month_of(store_day(timezone.now()))
    in_month = {ago: store_day(timezone.now() - timedelta(days=ago)) >= month for ago in (3, 10)}
    units = {"A": 2 + in_month[10], "B": 4 * in_month[3]}
    expected = sorted(((sku, n) for sku, n in units.items() if n), key=lambda r: (-r[1], r[0]))
    top = response.context["top_products"]["rows"]
    assert [(row[1], row[3]) for row in top] == expected
    # 2 initial stocks, 5 orders, 1 cancellation
    assert len(response.context["movements"]["rows"]) == 8


def test_dashboard_out_of_stock_link_lists_exactly_those_products(admin_client_super, store):
    link = kpis(admin_client_super.get(INDEX))["Out of stock"][2]
    listed = admin_client_super.get(link).context["cl"].result_list
    assert [p.sku for p in listed] == ["C"]
    link = kpis(admin_client_super.get(INDEX))["Low on stock"][2]
    assert [p.sku for p in admin_client_super.get(link).context["cl"].result_list] == ["B"]


BLOCKS = ["sales_kpis", "waiting", "stock_kpis", "revenue_chart", "top_products", "movements"]


@pytest.mark.parametrize(
    ("role", "visible", "links"),
    [
        ("Read-only", set(BLOCKS), set()),
        ("Catalog managers", {"stock_kpis", "movements"}, {"Out of stock", "Low on stock"}),
        ("Fulfilment", set(BLOCKS), {"Waiting for shipment"}),
        ("Customer support", set(BLOCKS), set()),
        (None, set(), set()),
    ],
)
def test_dashboard_shows_each_role_its_blocks(client_for, make_staff, store, role, visible, links):
    response = client_for(make_staff(role)).get(INDEX)
    assert response.status_code == 200
    shown = {block for block in BLOCKS if response.context.get(block)}
    assert shown == visible
    assert {title for title, (_, _, link) in kpis(response).items() if link} == links


def test_dashboard_query_count_does_not_depend_on_data_size(admin_client_super, store):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client_super.get(INDEX).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    products = [make_product(stock=50) for _ in range(15)]
    for n in range(25):
        make_order([(products[n % 15], 1), (products[(n + 1) % 15], 2)], customer=make_customer())
    assert count() == small


def test_dashboard_figures_are_cached_per_role_when_enabled(admin_client_super, store, settings):
    settings.DASHBOARD_CACHE_SECONDS = 60  # the cache table starts empty: rolled back per test

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client_super.get(INDEX)
        return len(ctx.captured_queries), kpis(response)["Revenue today"][0]

    cold, first = count()
    warm, second = count()
    assert warm < cold and first == second == "€20.00"


def test_dashboard_revenue_per_day_counts_the_stores_days_on_every_database(settings):
    # Auckland is UTC+13 in November. MariaDB here has no time-zone tables, so a day cut
    # made by the database (CONVERT_TZ) would come back empty.
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from backoffice.dashboard import revenue_per_day, sales_by_day

    settings.TIME_ZONE = "Pacific/Auckland"
    mug = make_product("MUG", stock=10, price="10.00")
    late_evening_utc = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)  # 21 Nov, 01:30 there
    make_order([(mug, 2)], placed_at=late_evening_utc, shipping_cost=Decimal("0.00"))
    make_order([(mug, 1)], placed_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC))  # 20 Nov, 22:00
    today = date(2026, 11, 21)
    chart = revenue_per_day(sales_by_day(today), today, days=3)
    assert chart["labels"] == ["19 Nov", "20 Nov", "21 Nov"]
    assert chart["datasets"][0]["data"] == [0.0, 10.0, 20.0]


def direct_figures(today):
    """The dashboard's figures counted straight from the orders and lines (store days)."""
    from foundation.display import money
    from orders.models import HOLDS_STOCK, Order, OrderItem
    from orders.rollups import store_day

    orders = [(store_day(o.placed_at), o.status, o.total) for o in Order.objects.all()]

    def window(days: int, back: int = 0) -> tuple[int, Decimal]:
        last = today - timedelta(days=back * days)
        first = last - timedelta(days=days - 1)
        inside = [(s, t) for d, s, t in orders if first <= d <= last]
        return len(inside), sum((t for s, t in inside if s in HOLDS_STOCK), Decimal("0.00"))

    figures = {}
    for label, days in {"today": 1, "last 7 days": 7, "last 30 days": 30}.items():
        (n, revenue), (prev_n, prev_revenue) = window(days), window(days, back=1)
        figures[f"Revenue {label}"] = (revenue, prev_revenue)
        figures[f"Orders {label}"] = (n, prev_n)
    first = today - timedelta(days=29)
    units: dict[str, list] = {}
    for item in OrderItem.objects.select_related("order", "product"):
        placed = store_day(item.order.placed_at)
        if item.order.status in HOLDS_STOCK and placed.replace(day=1) == today.replace(day=1):
            row = units.setdefault(item.product.sku, [0, Decimal("0.00")])
            row[0] += item.quantity
            row[1] += item.line_total
    top = sorted(units.items(), key=lambda kv: (-kv[1][0], kv[0]))[:10]
    chart = [
        float(sum((t for d, s, t in orders if d == day and s in HOLDS_STOCK), Decimal(0)))
        for day in (today - timedelta(days=n) for n in reversed(range(30)))
    ]
    by_status = [
        sum(1 for d, s, _ in orders if s == status and first <= d <= today)
        for status in ["pending", "paid", "shipped", "delivered", "cancelled", "returned"]
    ]
    return figures, [(sku, u, money(r)) for sku, (u, r) in top], chart, by_status


def test_dashboard_shows_what_a_direct_aggregate_of_the_orders_gives(admin_client_super, superuser):
    import json

    from backoffice.dashboard import _change, _money
    from orders.rollups import store_day

    store_with_history(superuser)
    response = admin_client_super.get(INDEX)
    figures, top, chart, by_status = direct_figures(store_day(timezone.now()))
    expected = {
        title: (_money(now) if title.startswith("Revenue") else str(now), _change(now, before))
        for title, (now, before) in figures.items()
    }
    shown = {title: (value, change) for title, (value, change, _) in kpis(response).items()}
    assert {title: shown[title] for title in expected} == expected
    assert int(shown["Orders last 30 days"][0]) > 5  # the store has orders in the windows
    rows = response.context["top_products"]["rows"]
    assert [(row[1], row[3], row[4]) for row in rows] == top
    assert json.loads(response.context["revenue_chart"])["datasets"][0]["data"] == chart
    # Pending, paid and shipped on the chart; delivered, cancelled and returned as counts.
    assert json.loads(response.context["status_chart"])["datasets"][0]["data"] == by_status[:3]
    assert [row["count"] for row in response.context["finished_orders"]] == by_status[3:]


def test_dashboard_runs_a_fixed_number_of_queries(
    admin_client_super, store, django_assert_num_queries
):
    admin_client_super.get(INDEX)  # the session and the user are read once per request
    # session, user, sales by day, paid orders (count, then the oldest ten), stock cards,
    # the low-stock list, top products, their pictures, latest movements, the orders they name
    with django_assert_num_queries(11):
        assert admin_client_super.get(INDEX).status_code == 200


def test_dashboard_get_writes_nothing(admin_client_super, store):
    from orders.models import DailyOrderRollup, MonthlyProductRollup

    before = (
        list(DailyOrderRollup.objects.values_list()),
        list(MonthlyProductRollup.objects.values_list()),
    )
    with CaptureQueriesContext(connection) as ctx:
        assert admin_client_super.get(INDEX).status_code == 200
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE", "REPLACE"}
    ]
    assert writes == []
    after = (
        list(DailyOrderRollup.objects.values_list()),
        list(MonthlyProductRollup.objects.values_list()),
    )
    assert after == before


# What each role works on: lists that link to their records, currency, coloured changes ---------


def html_of(response) -> str:
    return response.content.decode()


def test_heading_names_the_store_and_the_dashboard(admin_client_super, store, settings):
    settings.STORE_NAME = "Harbour Supplies"
    html = html_of(admin_client_super.get(INDEX))
    assert "Harbour Supplies · Dashboard" in html
    assert "Site administration" not in html


def test_every_amount_carries_the_store_currency(admin_client_super, store, settings):
    import json

    settings.STORE_CURRENCY = "CHF"
    response = admin_client_super.get(INDEX)
    figures = kpis(response)
    assert figures["Revenue today"][0] == "20.00 CHF"
    assert all(row[4].endswith(" CHF") for row in response.context["top_products"]["rows"])
    assert all(row[2].endswith(" CHF") for row in response.context["to_ship"]["rows"])
    # The revenue chart's axis shows values, in the currency.
    dataset = json.loads(response.context["revenue_chart"])["datasets"][0]
    assert dataset["displayYAxis"] is True and dataset["suffixYAxis"] == "CHF"


def test_changes_are_coloured_by_what_is_good(admin_client_super, store):
    from backoffice.dashboard import _tone

    assert (_tone(5, 3), _tone(3, 5), _tone(4, 4)) == ("good", "bad", "")
    assert _tone(5, 3, more_is_better=False) == "bad"
    cards = {k.title: k for k in admin_client_super.get(INDEX).context["sales_kpis"]}
    assert cards["Revenue last 30 days"].tone == "good"  # +900%
    html = html_of(admin_client_super.get(INDEX))
    assert 'kpi-change kpi-good" data-tone="good"><span aria-hidden="true">▲</span> +900%' in html


def test_orders_by_status_charts_the_statuses_staff_act_on(admin_client_super, store):
    import json

    response = admin_client_super.get(INDEX)
    chart = json.loads(response.context["status_chart"])
    assert chart["labels"] == ["Pending", "Paid", "Shipped"]
    assert chart["datasets"][0]["data"] == [1, 1, 0]
    finished = {row["label"]: row["count"] for row in response.context["finished_orders"]}
    assert finished == {"Delivered": 1, "Cancelled": 1, "Returned": 0}


def test_catalog_managers_see_the_products_to_restock_linked(client_for, make_staff, store):
    from catalog.models import Product

    inactive = make_product("Z-OLD", stock=0)
    Product.objects.filter(pk=inactive.pk).update(is_active=False)
    response = client_for(make_staff("Catalog managers")).get(INDEX)
    rows = response.context["low_stock"]["rows"]
    c, b = Product.objects.get(sku="C"), Product.objects.get(sku="B")
    # Emptiest first; active products only; each links to its product page.
    assert [row[1] for row in rows] == ["C", "B"]
    assert f'href="/admin/catalog/product/{c.pk}/change/"' in rows[0][2]
    assert f'href="/admin/catalog/product/{b.pk}/change/"' in rows[1][2]
    html = html_of(response)
    assert 'id="low-stock"' in html and f"/admin/catalog/product/{c.pk}/change/" in html
    # Nothing about orders, and no order links in the ledger (they may not open orders).
    assert response.context.get("to_ship") is None and response.context.get("sales_kpis") is None
    assert "/admin/orders/order/" not in html


def test_low_stock_list_is_bounded(admin_client_super, store):
    for n in range(12):
        make_product(f"LOW-{n:02d}", stock=1)
    rows = admin_client_super.get(INDEX).context["low_stock"]["rows"]
    assert len(rows) == 10 and rows[0][1] == "C"


@pytest.mark.parametrize("role", ["Fulfilment", "Read-only", "Customer support"])
def test_order_roles_see_paid_orders_linked_to_their_pages(client_for, make_staff, store, role):
    from orders.models import Order

    paid = Order.objects.get(status="paid")
    response = client_for(make_staff(role)).get(INDEX)
    rows = response.context["to_ship"]["rows"]
    assert len(rows) == 1
    assert f'href="/admin/orders/order/{paid.pk}/change/"' in rows[0][0]
    assert f">{paid.number}</a>" in rows[0][0]
    assert rows[0][2] == "€20.00"  # B x 4 at 5.00
    # Ledger references link to their order; SKUs to their product.
    movements = response.context["movements"]["rows"]
    assert any(f"/admin/orders/order/{paid.pk}/change/" in str(row[5]) for row in movements)
    assert all("/admin/catalog/product/" in str(row[1]) for row in movements)
    assert response.context["low_stock"]["rows"]
