"""Saved views: the tabs above the order and product lists."""

import re

import pytest
from django.urls import reverse

from catalog.tests.factories import make_product
from orders.models import OrderStatus
from orders.tests.factories import make_order, move_order

pytestmark = pytest.mark.django_db


def tabs(page: str) -> list[tuple[str, str, bool]]:
    """(title, link, active) of each tab of the page."""
    nav = page.split('id="tabs-items"', 1)[1].split("</nav>", 1)[0]
    return [
        (title.strip(), href.replace("&amp;", "&"), "active" in classes)
        for href, classes, title in re.findall(
            r'<a href="([^"]*)" class="([^"]*)"[^>]*>(.*?)</a>', nav, re.S
        )
    ]


def test_order_tabs_link_to_their_status_and_mark_the_one_shown(superuser, client_for):
    client = client_for(superuser)
    base = reverse("admin:orders_order_changelist")
    mug = make_product("MUG-01", stock=10)
    pending = make_order([(mug, 1)])
    paid = move_order(make_order([(mug, 1)]), OrderStatus.PAID, user=superuser)

    page = client.get(base, {"status__exact": "paid"}).content.decode()
    assert tabs(page) == [
        ("To pay", f"{base}?status__exact=pending", False),
        ("To ship", f"{base}?status__exact=paid", True),
        ("Shipped", f"{base}?status__exact=shipped", False),
        ("All", base, False),
    ]
    assert paid.number in page and pending.number not in page

    page = client.get(base, {"status__exact": "pending"}).content.decode()
    assert [t[0] for t in tabs(page) if t[2]] == ["To pay"]
    assert pending.number in page and paid.number not in page
    # The list's own search and sorting keep the tab; no status filter is "All".
    page = client.get(base, {"status__exact": "pending", "q": "ORD", "o": "1"}).content.decode()
    assert [t[0] for t in tabs(page) if t[2]] == ["To pay"]
    assert [t[0] for t in tabs(client.get(base).content.decode()) if t[2]] == ["All"]
    # Two statuses picked in the filter panel are no saved view.
    page = client.get(f"{base}?status__exact=pending&status__exact=paid").content.decode()
    assert [t[0] for t in tabs(page) if t[2]] == []


def test_product_tabs(superuser, client_for):
    client = client_for(superuser)
    base = reverse("admin:catalog_product_changelist")
    make_product("EMPTY-1", stock=0)
    make_product("LOW-1", stock=2, low_stock_threshold=5)
    make_product("OFF-1", stock=50, is_active=False)
    make_product("FULL-1", stock=50)
    expected = {
        "Out of stock": ("?stock_state=out", {"EMPTY-1"}),
        "Low": ("?stock_state=low", {"LOW-1"}),
        "Inactive": ("?is_active__exact=0", {"OFF-1"}),
        "All": ("", {"EMPTY-1", "LOW-1", "OFF-1", "FULL-1"}),
    }
    for title, (query, skus) in expected.items():
        page = client.get(base + query).content.decode()
        shown = tabs(page)
        assert [t[0] for t in shown] == list(expected)
        assert [t[0] for t in shown if t[2]] == [title]
        assert dict((t[0], t[1]) for t in shown)[title] == base + query
        for sku in {"EMPTY-1", "LOW-1", "OFF-1", "FULL-1"}:
            assert (f">{sku}<" in page) == (sku in skus), (title, sku)


def test_other_lists_have_no_tabs(superuser, client_for):
    page = client_for(superuser).get(reverse("admin:orders_customer_changelist")).content
    assert b'id="tabs-items"' not in page
