"""Real-browser tests of finding one's way: error pages in the frame, Ctrl+K, saved views,
phone lists (Playwright with Debian's chromium, browser_support)."""

import re

import pytest

from catalog.tests.factories import make_product
from orders.models import OrderStatus
from orders.tests.factories import make_customer, make_order, move_order
from tests.browser_support import BROWSER, DESKTOP, PHONE, Session, browser

pytestmark = BROWSER
__all__ = ["browser"]  # the fixture, imported for pytest to find


@pytest.fixture
def store(make_staff):
    boss = make_staff(superuser=True, username="boss")
    make_staff("Catalog managers", username="cat")
    mug = make_product("MUG-01", name="Enamel mug", stock=50, price="9.50")
    make_product("EMPTY-01", name="Sold out cap", stock=0, price="15.00")
    zoe = make_customer("zoe@shop.test", first_name="Zoe", last_name="Quill")
    pending = make_order([(mug, 1)], customer=zoe)
    paid = move_order(make_order([(mug, 2)], customer=zoe), OrderStatus.PAID, user=boss)
    return {"pending": pending, "paid": paid}


def refused(s: Session, path: str) -> None:
    """Open a page the role may not: Chromium reports the 403 answer as a console error,
    which is the point here, not a script failure."""
    before = len(s.errors)
    s.go(path)
    s.errors[before:] = [e for e in s.errors[before:] if "status of 403" not in e]


def box(s: Session, selector: str) -> dict:
    return s.page.locator(selector).first.bounding_box()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_refused_page_is_inside_the_frame_with_a_way_back(
    browser, live_server, store, staff_password, viewport
):
    s = Session(
        browser, live_server, "cat", staff_password, f"nav-403-{viewport['width']}", viewport
    )
    refused(s, "/admin/orders/order/")
    s.shot("refused")
    assert "Your role may not open this page." in s.text()
    sidebar = s.page.locator("#nav-sidebar")
    if viewport is DESKTOP:
        assert sidebar.is_visible()
        assert "Products" in sidebar.inner_text() and "Orders" not in sidebar.inner_text()
    else:  # the sidebar is behind the menu button, as on every page
        s.page.locator("#header-inner .material-symbols-outlined", has_text="dock_to_right").click()
        s.page.wait_for_timeout(300)
        s.shot("menu-open")
        assert sidebar.is_visible() and "Products" in sidebar.inner_text()
        s.go("/admin/orders/order/")  # closed again on a fresh page
        s.errors[:] = [e for e in s.errors if "status of 403" not in e]
    back = s.page.locator("#back-to-dashboard")
    assert back.is_visible()
    link = box(s, "#back-to-dashboard")
    assert link["x"] + link["width"] <= viewport["width"]
    back.click()
    s.page.wait_for_load_state("networkidle")
    assert s.page.url.endswith("/admin/")
    s.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_ctrl_k_finds_an_order_by_number_and_opens_it(
    browser, live_server, store, staff_password, viewport
):
    order = store["paid"]
    s = Session(
        browser, live_server, "boss", staff_password, f"nav-ctrlk-{viewport['width']}", viewport
    )
    s.go("/admin/")
    s.page.keyboard.press("Control+k")
    field = s.page.locator("#search-input-command")
    field.wait_for(state="visible")
    field.type(order.number, delay=20)
    result = s.page.locator(f'#command-results a[data-title="{order.number}"]')
    result.wait_for(state="visible", timeout=10_000)
    s.shot("found")
    assert "Paid · €19.00 · Zoe Quill" in result.inner_text()
    s.settle()  # the searches the typed letters sent have answered (see Session.settle)
    result.click()
    s.page.wait_for_url(re.compile(rf"/admin/orders/order/{order.pk}/change/$"))
    s.page.wait_for_load_state("networkidle")
    s.shot("opened")
    assert order.number in s.text()
    s.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_saved_views_on_orders_and_products(browser, live_server, store, staff_password, viewport):
    s = Session(
        browser, live_server, "boss", staff_password, f"nav-tabs-{viewport['width']}", viewport
    )
    s.go("/admin/orders/order/")
    tabs = s.page.locator("#tabs-items a")
    assert tabs.all_inner_texts() == ["To pay", "To ship", "Shipped", "All"]
    s.page.locator("#tabs-items a", has_text="To ship").click()
    s.page.wait_for_load_state("networkidle")
    s.shot("orders-to-ship")
    assert "status__exact=paid" in s.page.url
    rows = s.page.locator("#result_list tr.data-row")
    assert rows.count() == 1 and store["paid"].number in rows.first.inner_text()
    active = s.page.locator("#tabs-items a.active")
    assert active.inner_text().strip() == "To ship"
    # The active tab stands out: a white card on the grey tab bar.
    white = "rgb(255, 255, 255)"
    assert active.evaluate("e => getComputedStyle(e).backgroundColor") == white
    to_pay = s.page.locator("#tabs-items a", has_text="To pay")
    assert to_pay.evaluate("e => getComputedStyle(e).backgroundColor") != white

    s.go("/admin/catalog/product/")
    assert s.page.locator("#tabs-items a").all_inner_texts() == [
        "Out of stock",
        "Low",
        "Inactive",
        "All",
    ]
    s.page.locator("#tabs-items a", has_text="Out of stock").click()
    s.page.wait_for_load_state("networkidle")
    s.shot("products-out-of-stock")
    listed = s.page.locator("#result_list").inner_text()
    assert "EMPTY-01" in listed and "MUG-01" not in listed
    assert s.page.locator("#tabs-items a.active").inner_text().strip() == "Out of stock"
    s.close()


def test_phone_lists_keep_what_staff_act_on_within_the_screen(
    browser, live_server, store, staff_password
):
    s = Session(browser, live_server, "boss", staff_password, "nav-phone-lists", PHONE)
    s.go("/admin/orders/order/")
    s.shot("orders")
    row = s.page.locator("#result_list tr.data-row").first
    for cell in (".field-number", ".field-display_status", ".field-display_total"):
        shown = row.locator(cell).bounding_box()
        assert shown is not None and shown["width"] > 0, cell
        assert shown["x"] >= 0 and shown["x"] + shown["width"] <= PHONE["width"], cell
    first = row.inner_text()
    assert store["paid"].number in first and "PAID" in first.upper() and "€19.00" in first
    # No sideways scrolling of the page itself.
    assert s.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The header names the page instead of a truncated path.
    title = s.page.locator("#header-inner h1")
    assert title.inner_text().strip() == "Orders"

    s.go("/admin/catalog/product/")
    s.shot("products")
    row = s.page.locator("#result_list tr.data-row").first
    for cell in (".field-sku", ".field-display_price", ".field-display_stock"):
        shown = row.locator(cell).bounding_box()
        assert shown is not None and shown["x"] + shown["width"] <= PHONE["width"], cell
    s.go(f"/admin/orders/order/{store['paid'].pk}/change/")
    assert s.page.locator("#header-inner h1").inner_text().strip() == store["paid"].number
    s.close()
