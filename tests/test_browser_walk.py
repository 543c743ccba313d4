"""What a walk through the back-office in a real browser, as each role, at 1440 and 390 px,
still found: each test asserts what a person sees on the page where it stumbled."""

import pytest

from catalog.tests.factories import make_product
from orders.tests.factories import make_customer, make_order
from tests.browser_support import BROWSER, VIEWPORTS, Session, browser

pytestmark = BROWSER
__all__ = ["browser"]  # the fixture, imported for pytest to find


@pytest.fixture
def shop(make_staff):
    make_staff(superuser=True, username="boss")
    make_staff("Fulfilment", username="packer")
    make_staff("Customer support", username="support")
    make_staff("Catalog managers", username="cat")
    make_staff("Read-only", username="reader")
    # SKUs as long as the demo store's: they are what pushed an invoice sideways.
    mug = make_product("ENAMEL-MUG-000003", name="Enamel mug, Black", stock=50, price="38.90")
    case = make_product("CLEAR-CASE-000010", name="Clear case, Forest", stock=50, price="11.50")
    ada = make_customer("ada@shop.test", first_name="Ada", last_name="Lovelace")
    order = make_order([(mug, 1), (case, 2)], customer=ada)
    return {"mug": mug, "case": case, "ada": ada, "order": order}


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("username", ["packer", "reader"])
def test_invoice_and_packing_slip_fit_a_phone_without_console_errors(
    browser, live_server, shop, staff_password, viewport, username
):
    order = shop["order"]
    s = Session(
        browser,
        live_server,
        username,
        staff_password,
        f"walk-documents-{username}-{viewport['width']}",
        viewport=viewport,
    )
    for kind in ("invoice", "packing-slip"):
        s.go(f"/admin/orders/order/{order.pk}/{kind}/")
        s.shot(kind)
        # The whole line is on screen: SKU, quantity and (on the invoice) its total.
        assert no_sideways_scroll(s.page), kind
        row = s.page.locator("table.lines tbody tr").first
        assert "ENAMEL" in row.inner_text()
        box = row.locator("td").last.bounding_box()
        assert box["x"] + box["width"] <= s.page.viewport_size["width"], kind
    s.go(f"/admin/orders/order/print/invoices/?ids={order.pk}")
    assert no_sideways_scroll(s.page)
    assert "€23.00" in s.text()  # 2 x CLEAR-CASE at €11.50: the line total is visible
    s.close()  # no console error: the documents have an icon, no /favicon.ico 404


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("username", ["boss", "cat"])
def test_ledger_references_read_as_words_on_the_dashboard_and_the_ledger(
    browser, live_server, shop, staff_password, viewport, username
):
    number = shop["order"].number
    s = Session(
        browser,
        live_server,
        username,
        staff_password,
        f"walk-references-{username}-{viewport['width']}",
        viewport=viewport,
    )
    for path in ("/admin/", "/admin/catalog/stockmovement/"):
        s.go(path)
        s.shot("references")
        text = s.text()
        assert f"order {number}" in text, path
        assert f"order:{number}" not in text, path  # the ledger's raw key is not for people
        links = s.page.locator("a", has_text=f"order {number}")
        # A link for whoever may open orders; plain words for a catalog manager.
        assert (links.count() > 0) == (username == "boss"), path
    s.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("username", ["boss", "support", "reader"])
def test_history_names_who_changed_without_none_or_dead_links(
    browser, live_server, shop, staff_password, viewport, username
):
    from backoffice.models import User

    by_nobody = shop["order"]  # made by no one, as the demo data is
    by_support = make_order([(shop["mug"], 1)], user=User.objects.get(username="support"))
    s = Session(
        browser,
        live_server,
        username,
        staff_password,
        f"walk-history-{username}-{viewport['width']}",
        viewport=viewport,
    )
    s.go(f"/admin/orders/order/{by_nobody.pk}/history/")
    s.shot("history-by-nobody")
    cell = s.page.locator("#change-history tbody tr td").nth(1)
    assert cell.inner_text().strip() == "-"
    assert "None" not in s.page.locator("#change-history").inner_text()

    s.go(f"/admin/orders/order/{by_support.pk}/history/")
    s.shot("history-by-support")
    cell = s.page.locator("#change-history tbody tr td").nth(1)
    assert cell.inner_text().strip() == "support"
    # Only who may open staff users gets a link to one; for the others it would be a 403.
    assert (cell.locator("a").count() == 1) == (username == "boss")
    s.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("username", ["support", "packer", "reader"])
def test_customer_page_lists_orders_once_each_linked_to_the_order(
    browser, live_server, shop, staff_password, viewport, username
):
    order = shop["order"]
    s = Session(
        browser,
        live_server,
        username,
        staff_password,
        f"walk-customer-{username}-{viewport['width']}",
        viewport=viewport,
    )
    s.go(f"/admin/orders/customer/{shop['ada'].pk}/change/")
    s.shot("customer")
    orders = s.page.locator("#orders-group")
    # The number appears once per row (no caption repeating it), and it opens the order.
    assert orders.inner_text().count(order.number) == 1
    link = orders.get_by_role("link", name=order.number)
    assert link.is_visible()
    assert no_sideways_scroll(s.page)
    link.click()
    s.page.wait_for_url(f"**/admin/orders/order/{order.pk}/change/")
    s.page.wait_for_load_state("networkidle")
    s.shot("order-from-customer")
    assert order.number in s.page.locator("h1, #content-main").first.inner_text()
    s.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_order_lines_start_with_the_product_not_a_stray_dash(
    browser, live_server, shop, staff_password, viewport
):
    s = Session(
        browser,
        live_server,
        "support",
        staff_password,
        f"walk-order-lines-{viewport['width']}",
        viewport=viewport,
    )
    s.go(f"/admin/orders/order/{shop['order'].pk}/change/")
    s.shot("order-lines")
    rows = s.page.locator("#items-group tbody.form-group:not(.empty-form)")
    assert rows.count() == 2
    for i in range(2):  # a product without a picture leaves its picture cell empty
        cell = rows.nth(i).locator("td.field-display_thumbnail")
        assert cell.inner_text().strip() == ""
    s.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_adjust_stock_of_one_product_does_not_speak_of_a_selection(
    browser, live_server, shop, staff_password, viewport
):
    s = Session(
        browser, live_server, "cat", staff_password, f"walk-adjust-{viewport['width']}", viewport
    )
    s.go(f"/admin/catalog/product/{shop['mug'].pk}/adjust-stock/")
    s.shot("adjust")
    text = s.text()
    shop["mug"].refresh_from_db()
    assert f"In stock now: {shop['mug'].stock}." in text
    assert "selected" not in text
    assert "Units to add (e.g. 5) or to remove (e.g. -2)." in text
    s.close()
