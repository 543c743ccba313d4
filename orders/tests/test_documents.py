"""Packing slips, invoices and pick lists: their data, who may print, bounded queries."""

import re
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.tests.factories import make_product
from orders.documents import order_documents, parse_order_ids, pick_list
from orders.models import Order, OrderItem
from orders.tests.factories import make_customer, make_order, move_order

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:orders_order_changelist")


def print_url(kind: str, *orders) -> str:
    ids = ",".join(str(o.pk) for o in orders)
    return f"{reverse('admin:orders_order_print', args=[kind])}?ids={ids}"


def detail_url(order, name: str) -> str:
    return f"/admin/orders/order/{order.pk}/{name}/"


def text_of(response) -> str:
    """The page's text, tags dropped and spaces collapsed."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def shop():
    mug = make_product("MUG-1", name="Mug", stock=50, price="8.00")
    tee = make_product("TEE-1", name="Tee", stock=50, price="20.00")
    cap = make_product("CAP-1", name="Cap", stock=50, price="12.50")
    ada = make_customer(
        "ada@shop.test",
        first_name="Ada",
        last_name="Lovelace",
        street="1 Analytical Way",
        city="London",
        postal_code="N1 1AA",
        country="GB",
    )
    first = make_order(
        [(mug, 2), (tee, 1)],
        customer=ada,
        shipping_cost=Decimal("4.90"),
        discount=Decimal("1.00"),
    )
    second = make_order([(tee, 3), (cap, 1)], customer=make_customer(first_name="Bob"))
    return first, second


# The data ------------------------------------------------------------------------------------


def test_documents_carry_lines_money_and_address(shop):
    first, second = shop
    docs = order_documents([second.pk, first.pk])
    assert [d.order.number for d in docs] == sorted([first.number, second.number])
    doc = docs[0]
    assert [(ln.sku, ln.name, ln.quantity, ln.unit_price, ln.line_total) for ln in doc.lines] == [
        ("MUG-1", "Mug", 2, Decimal("8.00"), Decimal("16.00")),
        ("TEE-1", "Tee", 1, Decimal("20.00"), Decimal("20.00")),
    ]
    assert doc.subtotal == Decimal("36.00")
    assert doc.order.total == doc.subtotal + Decimal("4.90") - Decimal("1.00")
    # Copied from the customer on first save.
    assert doc.address_lines == ["Ada Lovelace", "1 Analytical Way", "N1 1AA London", "GB"]


def test_pick_list_sums_units_per_product_by_sku_for_orders_still_to_ship(shop, superuser):
    first, second = shop
    third = make_order([(first.items.first().product, 5)])
    move_order(third, "paid", "shipped", user=superuser)
    pick = pick_list([first.pk, second.pk, third.pk])
    assert [(r.sku, r.quantity, r.orders) for r in pick.rows] == [
        ("CAP-1", 1, 1),
        ("MUG-1", 2, 1),
        ("TEE-1", 4, 2),
    ]
    assert pick.units == 7
    assert [o.number for o in pick.left_out] == [third.number]


@pytest.mark.parametrize(("raw", "expected"), [("3,1,2", [1, 2, 3]), (" 7 ,7,", [7])])
def test_order_ids_are_read_strictly(raw, expected):
    assert parse_order_ids(raw) == expected


@pytest.mark.parametrize("raw", ["", "1,x", "-1", "1;2", "9" * 30])
def test_anything_but_ids_is_refused(raw):
    with pytest.raises(ValueError):
        parse_order_ids(raw)


def test_query_count_does_not_grow_with_orders_or_lines(admin_client_super, shop):
    def count(kind, orders) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client_super.get(print_url(kind, *orders)).status_code == 200
        return len(ctx.captured_queries)

    small = {kind: count(kind, shop[:1]) for kind in ("packing-slips", "invoices", "pick-list")}
    products = [make_product(stock=100) for _ in range(6)]
    many = list(shop) + [make_order([(p, n + 1) for p in products[: 2 + n % 4]]) for n in range(8)]
    assert {kind: count(kind, many) for kind in small} == small
    # session, user, the orders, their lines (the pick list: orders, one aggregate)
    assert small["invoices"] == 4 and small["pick-list"] == 4


# The pages -----------------------------------------------------------------------------------


def test_invoice_shows_lines_prices_and_totals_in_the_store_currency(admin_client_super, shop):
    first, _ = shop
    response = admin_client_super.get(detail_url(first, "invoice"))
    assert response.status_code == 200
    text = text_of(response)
    assert f"Invoice {first.number}" in text
    assert "MUG-1 Mug 2 €8.00 €16.00" in text
    assert "TEE-1 Tee 1 €20.00 €20.00" in text
    assert "Subtotal €36.00 Shipping €4.90 Discount -€1.00 Total €39.90" in text
    assert "Ada Lovelace" in text and "N1 1AA London" in text
    assert "Our store" in text  # settings.STORE_NAME


def test_packing_slip_shows_quantities_and_no_prices(admin_client_super, shop):
    first, _ = shop
    response = admin_client_super.get(detail_url(first, "packing-slip"))
    text = text_of(response)
    assert "Packing slip" in text and first.number in text
    assert "MUG-1 Mug 2" in text and "TEE-1 Tee 1" in text and "Units 3" in text
    assert "€" not in text


def test_selected_orders_print_one_sheet_each_with_page_breaks(admin_client_super, shop, settings):
    settings.STORE_NAME = "Harbour Supplies"
    response = admin_client_super.get(print_url("invoices", *shop))
    html = response.content.decode()
    assert html.count('<article class="sheet"') == 2
    assert "Harbour Supplies" in html
    css = (settings.BASE_DIR / "orders/static/orders/documents.css").read_text()
    assert "page-break-after: always" in css and "@page { size: A4" in css
    assert re.search(r"@media print \{[^@]*\.toolbar \{ display: none; \}", css)


@pytest.mark.parametrize(
    ("kind", "action"),
    [
        ("packing-slips", "print_packing_slips"),
        ("invoices", "print_invoices"),
        ("pick-list", "print_pick_list"),
    ],
)
def test_list_actions_open_the_document_of_the_selected_orders(
    admin_client_super, shop, kind, action
):
    data = {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in shop], "index": 0}
    response = admin_client_super.post(CHANGELIST, data)
    assert response.status_code == 302
    ids = ",".join(str(pk) for pk in sorted(o.pk for o in shop))
    assert response["Location"] == f"{reverse('admin:orders_order_print', args=[kind])}?ids={ids}"
    page = admin_client_super.get(response["Location"])
    assert page.status_code == 200
    assert all(o.number in page.content.decode() for o in shop)


def test_more_orders_than_one_print_holds_are_refused_with_a_message(
    admin_client_super, shop, monkeypatch
):
    monkeypatch.setattr("orders.admin.documents.MAX_DOCUMENTS", 1)
    monkeypatch.setattr("orders.documents.MAX_DOCUMENTS", 1)
    data = {"action": "print_invoices", ACTION_CHECKBOX_NAME: [o.pk for o in shop], "index": 0}
    response = admin_client_super.post(CHANGELIST, data, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "At most 1 orders can be printed at once. Select fewer (filter the list first) and "
        "print in batches."
    ]
    response = admin_client_super.get(print_url("invoices", *shop), follow=True)
    assert response.redirect_chain[-1][0] == CHANGELIST
    assert "At most 1 orders" in response.content.decode()


def test_bad_addresses(admin_client_super, shop):
    url = reverse("admin:orders_order_print", args=["invoices"])
    assert admin_client_super.get(f"{url}?ids=abc").status_code == 400
    assert admin_client_super.get(f"{url}?ids=999999").status_code == 404
    assert admin_client_super.get(url.replace("invoices", "labels") + "?ids=1").status_code == 404
    assert admin_client_super.get("/admin/orders/order/999999/invoice/").status_code == 404


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("Fulfilment", True),
        ("Customer support", True),
        ("Read-only", True),
        ("Catalog managers", False),
        (None, False),
    ],
)
def test_who_may_print(client_for, make_staff, shop, role, allowed):
    first, _ = shop
    client = client_for(make_staff(role))
    urls = [
        detail_url(first, "packing-slip"),
        detail_url(first, "invoice"),
        print_url("packing-slips", *shop),
        print_url("invoices", *shop),
        print_url("pick-list", *shop),
    ]
    assert {client.get(url).status_code for url in urls} == ({200} if allowed else {403})
    if allowed:  # the buttons on the order page and the actions on the list
        page = client.get(reverse("admin:orders_order_change", args=[first.pk]))
        html = page.content.decode()
        assert detail_url(first, "packing-slip") in html and detail_url(first, "invoice") in html
        actions = dict(client.get(CHANGELIST).context["action_form"].fields["action"].choices)
        assert {"print_packing_slips", "print_invoices", "print_pick_list"} <= actions.keys()


def test_printing_is_get_only_and_writes_nothing(admin_client_super, shop):
    first, _ = shop
    before = (list(Order.objects.values_list()), list(OrderItem.objects.values_list()))
    with CaptureQueriesContext(connection) as ctx:
        for url in (detail_url(first, "invoice"), print_url("pick-list", *shop)):
            assert admin_client_super.get(url).status_code == 200
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == []
    assert (list(Order.objects.values_list()), list(OrderItem.objects.values_list())) == before
    assert admin_client_super.post(detail_url(first, "invoice")).status_code == 405
    assert admin_client_super.post(print_url("invoices", *shop)).status_code == 405
