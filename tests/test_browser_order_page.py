"""The order page in a real browser, at 1440 and 390 px, for the roles that use it: lines
first with a summary that updates before saving, the cancel dialog and its reason, staff
comments on the timeline, the list's per-row "Mark shipped", no sideways scrolling."""

import re

import pytest

from backoffice.models import User
from catalog.tests.factories import make_category, make_product
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import order_transition
from orders.tests.factories import make_customer, make_order
from tests.browser_support import BROWSER, PHONE, VIEWPORTS, Session, browser

pytestmark = BROWSER
__all__ = ["browser"]  # the fixture, imported for pytest to find


@pytest.fixture
def shop(make_staff):
    make_staff(superuser=True, username="boss")
    make_staff("Customer support", username="support")
    make_staff("Fulfilment", username="packer")
    make_staff("Read-only", username="reader")
    mugs = make_category("Mugs", "mugs")
    mug = make_product("MUG-1", name="Blue mug", category=mugs, stock=100, price="50.00")
    customer = make_customer("ada@shop.test", first_name="Ada", last_name="Lovelace")
    return mug, customer


def order_url(order: Order) -> str:
    return f"/admin/orders/order/{order.pk}/change/"


def no_sideways_scroll(s: Session) -> bool:
    return s.page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def open_detail_action(s: Session, text: str) -> None:
    """Click a status button (on a phone Unfold folds them into the actions menu)."""
    button = s.page.locator("#content-main, header, body").get_by_role("link", name=text).first
    if not button.is_visible():
        s.page.locator("[x-on\\:click*='openNavigation'], [x-on\\:click*='Actions']").first.click()
    button.click()
    s.page.locator("#modal-content #dialog").wait_for()


def add_comment(s: Session, text: str) -> None:
    s.page.fill("#order-comment-form textarea", text)
    with s.page.expect_navigation():
        s.page.click("#order-comment-form button[type=submit]")
    s.page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("username", ["boss", "support"])
def test_order_page_lines_first_live_summary_cancel_reason_and_comment(
    browser, live_server, shop, staff_password, viewport, username
):
    mug, customer = shop
    order = make_order([(mug, 2)], customer=customer)  # 2 x €50.00
    s = Session(
        browser,
        live_server,
        username,
        staff_password,
        f"order-page-{username}-{viewport['width']}",
        viewport=viewport,
    )
    s.page.on("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?"
    s.go(order_url(order))
    s.shot("order")
    page = s.page

    # Lines come first: above the notes, address and money.
    lines_top = page.locator("#items-group").bounding_box()["y"]
    notes_tab = page.locator("a", has_text=re.compile(r"^\s*Notes\s*$")).first
    assert lines_top < notes_tab.bounding_box()["y"]
    assert page.locator("#items-group h2").inner_text().strip() == "Lines"
    assert page.get_by_text("Add line", exact=True).is_visible()
    assert "Add another" not in s.text()
    assert f"2 x {mug.sku}" not in s.text()  # no stray caption per line
    assert page.locator("select[name=status]").count() == 0  # the status is a badge
    assert "Given on first save" not in s.text()
    # Each line shows product, quantity, price and total, on a phone too.
    row = page.locator("#items-group tbody.form-group:not(.empty-form)").first
    for cell in ("product", "quantity", "unit_price", "display_line_total"):
        assert row.locator(f"td.field-{cell}").is_visible(), cell
    assert no_sideways_scroll(s)

    # The summary follows the lines before anything is saved.
    total = page.locator("#order-summary [data-summary=total]")
    assert total.inner_text() == "€100.00"
    page.fill("input[name=items-0-quantity]", "3")
    assert total.inner_text() == "€150.00"
    assert row.locator("[data-line-total]").inner_text() == "€150.00"
    page.locator("a", has_text=re.compile(r"^\s*Money\s*$")).first.click()
    page.fill("input[name=discount]", "20")
    assert total.inner_text() == "€130.00"
    assert page.locator("#order-summary [data-summary=discount]").inner_text() == "-€20.00"
    s.shot("summary-updated")
    assert Order.objects.get(pk=order.pk).total == 100  # nothing saved yet

    # Cancel: the dialog says what happens, asks why, and keeps "Cancel" off its buttons.
    s.go(order_url(order))
    open_detail_action(s, "Cancel order")
    dialog = page.locator("#modal-content #dialog")
    s.shot("cancel-dialog")
    assert "go back to inventory" in dialog.inner_text()
    buttons = [b.strip() for b in dialog.locator("a, button").all_inner_texts() if b.strip()]
    assert "Keep order" in buttons and "Cancel order" in buttons and "Cancel" not in buttons
    dialog.get_by_role("button", name="Cancel order").click()
    page.get_by_text("Say why, for the order's timeline.").wait_for()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING
    dialog.locator("textarea[name=reason]").fill("Customer ordered twice")
    with page.expect_navigation():
        dialog.get_by_role("button", name="Cancel order").click()
    page.wait_for_load_state("networkidle")
    s.shot("cancelled")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert "Cancelled: Customer ordered twice" in page.locator("#order-status-reason").inner_text()
    timeline = page.locator("#timeline")
    assert "Pending → Cancelled" in timeline.inner_text()
    assert "Reason: Customer ordered twice" in timeline.inner_text()
    assert "Back in stock (order cancelled)" in timeline.inner_text()

    # A comment appears in the timeline, with who wrote it.
    add_comment(s, "Called Ada: she keeps the other order.")
    s.shot("commented")
    comment = page.locator("#timeline .timeline-comment").first
    assert "Called Ada: she keeps the other order." in comment.inner_text()
    assert username in comment.inner_text()
    assert no_sideways_scroll(s)
    s.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_fulfilment_ships_from_the_list_row_and_comments(
    browser, live_server, shop, staff_password, viewport
):
    mug, customer = shop
    pending = make_order([(mug, 1)], customer=customer)
    paid = make_order([(mug, 1)], customer=customer)
    order_transition(order=paid, to_status="paid", user=User.objects.get(username="boss"))
    s = Session(
        browser,
        live_server,
        "packer",
        staff_password,
        f"order-row-ship-{viewport['width']}",
        viewport=viewport,
    )
    s.go("/admin/orders/order/")
    page = s.page
    # The row action is offered on the paid order's row, not on the pending one.
    paid_row = page.locator("tr.data-row", has=page.locator(f"[data-order-pk='{paid.pk}']"))
    pending_row = page.locator("tr.data-row", has=page.locator(f"[data-order-pk='{pending.pk}']"))
    assert not pending_row.locator(
        "td.field-actions_holder span.material-symbols-outlined"
    ).first.is_visible()
    paid_row.locator("td.field-actions_holder span.material-symbols-outlined").first.click()
    page.get_by_role("link", name="Mark shipped").click()
    dialog = page.locator("#modal-content #dialog")
    dialog.wait_for()
    s.shot("ship-dialog")
    assert "No stock moves" in dialog.inner_text()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Mark as shipped").click()
    page.wait_for_load_state("networkidle")
    s.shot("shipped")
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.SHIPPED
    assert f"{paid.number} is now Shipped." in s.text()

    # On the order's page (view only for Fulfilment): the timeline and a comment.
    s.go(order_url(paid))
    assert "Paid → Shipped" in page.locator("#timeline").inner_text()
    add_comment(s, "Parcel handed to the courier.")
    s.shot("order-commented")
    assert "Parcel handed to the courier." in page.locator("#timeline").inner_text()
    assert OrderEvent.objects.filter(order=paid, kind="comment").get().created_by.username == (
        "packer"
    )
    assert no_sideways_scroll(s)
    s.close()


def test_read_only_sees_the_timeline_but_no_comment_box(browser, live_server, shop, staff_password):
    mug, customer = shop
    order = make_order([(mug, 1)], customer=customer)
    s = Session(browser, live_server, "reader", staff_password, "order-page-reader", viewport=PHONE)
    s.go(order_url(order))
    s.shot("order")
    assert "Order placed." in s.page.locator("#timeline").inner_text()
    assert s.page.locator("#order-comment-form").count() == 0
    assert no_sideways_scroll(s)
    s.close()
