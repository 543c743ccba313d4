"""The order page for staff: status dialogs and their reasons, comments, the timeline, the
list's per-row "Mark shipped", help text for new orders only, bounded queries."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import make_product
from orders.admin import timeline
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import order_comment, order_transition
from orders.tests.factories import make_order, move_order

pytestmark = pytest.mark.django_db

ADD = reverse("admin:orders_order_add")
CHANGELIST = reverse("admin:orders_order_changelist")


def change_url(order: Order) -> str:
    return reverse("admin:orders_order_change", args=[order.pk])


def detail_url(order: Order, to_status: str) -> str:
    return reverse(f"admin:orders_order_detail_{to_status}", args=[order.pk])


def comment_url(order: Order) -> str:
    return reverse("admin:orders_order_comment", args=[order.pk])


def row_ship_url(order: Order) -> str:
    return reverse("admin:orders_order_row_mark_shipped", args=[order.pk])


def status(order: Order) -> str:
    return Order.objects.get(pk=order.pk).status


# Status dialogs ------------------------------------------------------------------------------


def test_cancel_needs_a_reason_which_is_stored_and_shown(client_for, make_staff, products):
    mug, _ = products
    order = make_order([(mug, 3)])
    support = make_staff("Customer support")
    client = client_for(support)
    dialog = client.get(detail_url(order, "cancelled")).content.decode()
    assert "go back to inventory" in dialog and "Units going back to stock: 3." in dialog
    assert "Keep order" in dialog and ">Cancel<" not in dialog.replace(" ", "").replace("\n", "")
    assert 'name="reason"' in dialog

    for blank in ("", "   "):
        response = client.post(
            detail_url(order, "cancelled"), {"_form_submitted": "on", "reason": blank}
        )
        assert response.status_code == 200 and "Say why" in response.content.decode()
        assert status(order) == OrderStatus.PENDING and not OrderEvent.objects.exists()

    client.post(detail_url(order, "cancelled"), {"_form_submitted": "on", "reason": " Twice "})
    assert status(order) == OrderStatus.CANCELLED
    event = OrderEvent.objects.get()
    assert (event.kind, event.from_status, event.to_status, event.text, event.created_by) == (
        "status",
        "pending",
        "cancelled",
        "Twice",
        support,
    )
    assert Order.objects.get(pk=order.pk).history.latest().history_change_reason == "Twice"
    page = client.get(change_url(order)).content.decode()
    assert "<strong>Cancelled:</strong> Twice" in page  # the header
    assert "Reason: Twice" in page  # the timeline


def test_mark_paid_dialog_says_no_stock_moves_and_needs_no_reason(admin_client_super, products):
    mug, _ = products
    order = make_order([(mug, 1)])
    dialog = admin_client_super.get(detail_url(order, "paid")).content.decode()
    assert "No stock moves" in dialog and 'name="reason"' not in dialog
    assert "stock moves accordingly" not in dialog
    admin_client_super.post(detail_url(order, "paid"), {"_form_submitted": "on"})
    assert status(order) == OrderStatus.PAID
    assert OrderEvent.objects.get().text == ""


def test_change_page_shows_status_as_badge_and_no_new_order_help(admin_client_super, products):
    mug, _ = products
    order = make_order([(mug, 1)])
    page = admin_client_super.get(change_url(order)).content.decode()
    assert 'name="status"' not in page
    assert "Given on first save" not in page
    assert "copied from the customer on first save" not in page
    assert "Add line" in page and "Add another line" not in page
    assert "Add another Order item" not in page
    assert f"1 x {mug.sku}" not in page  # no caption per line
    assert 'id="order-summary"' in page and "€8.00" in page


def test_add_page_shows_the_help_for_new_orders(admin_client_super):
    page = admin_client_super.get(ADD).content.decode()
    assert "Given on first save" in page
    assert "Left blank, it is copied from the customer on first save." in page
    assert 'name="status"' not in page


# Comments ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Customer support", "Fulfilment"])
def test_comment_post_writes_one_row_with_user_and_time(client_for, make_staff, products, role):
    mug, _ = products
    order = make_order([(mug, 1)])
    user = make_staff(role)
    before = timezone.now()
    response = client_for(user).post(comment_url(order), {"text": "  Gift wrap, please. "})
    assert response.status_code == 302 and response["Location"].endswith("#timeline")
    comment = OrderEvent.objects.get()
    assert (comment.order, comment.kind, comment.text, comment.created_by) == (
        order,
        "comment",
        "Gift wrap, please.",
        user,
    )
    assert comment.created_at >= before
    page = client_for(user).get(change_url(order)).content.decode()
    assert "Gift wrap, please." in page and 'id="order-comment-form"' in page


def test_comment_get_writes_nothing(admin_client_super, products):
    mug, _ = products
    order = make_order([(mug, 1)])
    assert admin_client_super.get(comment_url(order), {"text": "x"}).status_code == 405
    assert not OrderEvent.objects.exists()


def test_comment_refused_for_read_only_blank_or_without_csrf(client_for, make_staff, products):
    mug, _ = products
    order = make_order([(mug, 1)])
    reader = make_staff("Read-only")
    assert client_for(reader).post(comment_url(order), {"text": "Hi"}).status_code == 403
    assert (
        'id="order-comment-form"' not in client_for(reader).get(change_url(order)).content.decode()
    )
    support = make_staff("Customer support")
    client_for(support).post(comment_url(order), {"text": "   "})
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(support)
    assert strict.post(comment_url(order), {"text": "Hi"}).status_code == 403
    assert not OrderEvent.objects.exists()


def test_comments_cannot_be_changed_or_deleted_in_the_admin(admin_client_super):
    # No admin page for events at all: the timeline shows them, nothing edits them.
    from django.contrib import admin

    assert OrderEvent not in admin.site._registry


# The list's per-row "Mark shipped" ---------------------------------------------------------


def test_row_mark_shipped_ships_a_paid_order_on_post_only(client_for, make_staff, superuser):
    mug = make_product("MUG-R", stock=5, price="4.00")
    order = move_order(make_order([(mug, 1)]), OrderStatus.PAID, user=superuser)
    client = client_for(make_staff("Fulfilment"))
    page = client.get(CHANGELIST).content.decode()
    assert row_ship_url(order) in page and "Mark shipped" in page
    dialog = client.get(row_ship_url(order))
    assert dialog.status_code == 200 and "No stock moves" in dialog.content.decode()
    assert status(order) == OrderStatus.PAID  # a GET never changes anything
    response = client.post(
        row_ship_url(order), {"_form_submitted": "on"}, HTTP_REFERER="http://testserver/x"
    )
    assert response.status_code == 302
    assert status(order) == OrderStatus.SHIPPED


@pytest.mark.parametrize(
    ("referer", "back_to"),
    [
        (f"http://testserver{CHANGELIST}?status__exact=paid&p=2", "?status__exact=paid&p=2"),
        ("https://evil.example/admin/orders/order/", None),  # never off this site
        ("http://testserver/admin/catalog/product/", None),  # only back to the order list
        ("", None),
    ],
)
def test_row_mark_shipped_goes_back_to_the_list_as_it_was(
    admin_client_super, superuser, referer, back_to
):
    mug = make_product("MUG-B", stock=5, price="4.00")
    order = move_order(make_order([(mug, 1)]), OrderStatus.PAID, user=superuser)
    response = admin_client_super.post(
        row_ship_url(order), {"_form_submitted": "on"}, HTTP_REFERER=referer
    )
    assert response.status_code == 302
    expected = f"http://testserver{CHANGELIST}{back_to}" if back_to else CHANGELIST
    assert response["Location"] == expected
    assert status(order) == OrderStatus.SHIPPED


def test_row_mark_shipped_refused_for_a_pending_order(admin_client_super, products):
    mug, _ = products
    order = make_order([(mug, 1)])
    dialog = admin_client_super.get(row_ship_url(order)).content.decode()
    assert "it cannot be marked shipped now" in dialog and "Mark as shipped</span>" not in dialog
    response = admin_client_super.post(row_ship_url(order), {"_form_submitted": "on"}, follow=True)
    assert "cannot go from Pending to Shipped" in response.content.decode()
    assert status(order) == OrderStatus.PENDING


def test_row_actions_are_unfolds_own_html_for_each_row(admin_client_super, superuser):
    # The buttons are rendered once per page with a stand-in key (foundation.templatetags.
    # row_actions): every row must get exactly what Unfold's template gives for its key.
    from django.template import Context

    from foundation.templatetags.row_actions import _unfold_template

    mug = make_product("MUG-H", stock=9, price="4.00")
    orders = [move_order(make_order([(mug, 1)]), OrderStatus.PAID, user=superuser) for _ in "abc"]
    response = admin_client_super.get(CHANGELIST)
    page = response.content.decode()
    actions = response.context["actions_row"]
    for order in orders:
        own = _unfold_template().render(Context({"actions": actions, "instance_pk": order.pk}))
        assert row_ship_url(order) in own and own.strip()
        assert page.count(own) == 1
    assert "0rowkey0" not in page


def test_row_mark_shipped_refused_without_the_permission(client_for, make_staff, superuser):
    mug = make_product("MUG-R", stock=5, price="4.00")
    order = move_order(make_order([(mug, 1)]), OrderStatus.PAID, user=superuser)
    support = client_for(make_staff("Customer support"))
    assert row_ship_url(order) not in support.get(CHANGELIST).content.decode()
    assert support.post(row_ship_url(order), {"_form_submitted": "on"}).status_code == 403
    assert status(order) == OrderStatus.PAID


# Queries -----------------------------------------------------------------------------------


def test_order_page_timeline_shows_the_newest_entries_of_a_long_one(
    admin_client_super, superuser, monkeypatch
):
    # Comments are append-only and unlimited: thousands made the page megabytes and seconds.
    monkeypatch.setattr(timeline, "TIMELINE_LIMIT", 3)
    order = make_order([(make_product("LONG-1", stock=50, price="3.00"), 1)])
    order_transition(
        order=order, to_status=OrderStatus.CANCELLED, user=superuser, reason="Customer asked"
    )
    for n in range(6):
        order_comment(order=order, user=superuser, text=f"Note number {n}")
    page = admin_client_super.get(change_url(order)).content.decode()
    assert [f"Note number {n}" in page for n in range(6)] == [False] * 3 + [True] * 3
    assert "Earlier comments and stock moves are not shown." in page
    # The status changes are all kept: the header still says why it was cancelled.
    assert 'id="order-status-reason"' in page and "Reason: Customer asked" in page
    assert page.count("timeline-stock") <= 3


def test_order_page_queries_do_not_grow_with_lines_or_timeline(admin_client_super, superuser):
    counts = []
    for size in (1, 8):
        products = [make_product(f"Q{size}-{i}", stock=50, price="3.00") for i in range(size)]
        order = make_order([(product, 1) for product in products])
        order = move_order(order, OrderStatus.PAID, user=superuser)
        for n in range(size):
            order_comment(order=order, user=superuser, text=f"Note {n}")
        with CaptureQueriesContext(connection) as queries:
            assert admin_client_super.get(change_url(order)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
