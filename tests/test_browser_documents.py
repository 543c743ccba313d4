"""Printing in a real browser: packing slips, invoices and pick lists printed to PDF by
Chromium, and the PDF's text read back (pypdf)."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from catalog.tests.factories import make_product
from orders.tests.factories import make_customer, make_order
from tests.browser_support import BROWSER, DESKTOP, PHONE, Session, browser

pytestmark = BROWSER
__all__ = ["browser"]  # the fixture, imported for pytest to find


@pytest.fixture
def orders(make_staff):
    make_staff(superuser=True, username="boss")
    make_staff("Fulfilment", username="packer")
    make_staff("Read-only", username="reader")
    mug = make_product("MUG-1", name="Stoneware mug", stock=50, price="8.00")
    tee = make_product("TEE-1", name="Organic tee", stock=50, price="20.00")
    cap = make_product("CAP-1", name="Wool cap", stock=50, price="12.50")
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
        [(mug, 2), (tee, 1)], customer=ada, shipping_cost=Decimal("4.90"), discount=Decimal("1")
    )
    second = make_order([(tee, 3), (cap, 1)], customer=make_customer(first_name="Bob"))
    return first, second


def pdf_pages(page) -> list[str]:
    """Print ``page`` to PDF as Chromium does for paper (print stylesheet, A4) and return
    the text of each PDF page."""
    page.emulate_media(media="print")
    data = page.pdf(format="A4", prefer_css_page_size=True)
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def open_from_button(s: Session, name: str):
    """Click a button of the order page that opens its document in a new tab."""
    button = s.page.get_by_role("link", name=name)
    assert button.is_visible()
    with s.context.expect_page() as new:
        button.click()
    document = new.value
    document.wait_for_load_state("networkidle")
    return document


def test_fulfilment_prints_a_packing_slip_and_a_pick_list(
    browser, live_server, orders, staff_password
):
    first, second = orders
    s = Session(browser, live_server, "packer", staff_password, "docs-packer", viewport=DESKTOP)
    s.go(f"/admin/orders/order/{first.pk}/change/")
    s.shot("order-page")
    slip = open_from_button(s, "Packing slip")
    slip.screenshot(path=str(s_path(s, "packing-slip")), full_page=True)
    # On screen the toolbar shows; on paper it does not, and no admin menu is there.
    assert slip.get_by_role("button", name="Print").is_visible()
    pages = pdf_pages(slip)
    assert len(pages) == 1
    text = pages[0]
    assert "Packing slip" in text and first.number in text
    assert "MUG-1" in text and "Stoneware mug" in text and "TEE-1" in text
    assert "Units 3" in text
    assert "Ada Lovelace" in text and "N1 1AA London" in text
    assert "€" not in text and "Print" not in text and "Back" not in text
    slip.close()

    # The list: select both orders, "Pick list".
    s.go("/admin/orders/order/")
    for order in (first, second):
        s.page.check(f"input[name=_selected_action][value='{order.pk}']")
    s.page.select_option("select[name=action]", "print_pick_list")
    with s.page.expect_navigation():
        s.page.get_by_role("button", name="Run").click()
    s.page.wait_for_load_state("networkidle")
    s.shot("pick-list")
    text = "\n".join(pdf_pages(s.page))
    # By SKU, with the total to pick: TEE-1 is on both orders (1 + 3).
    assert text.index("CAP-1") < text.index("MUG-1") < text.index("TEE-1")
    assert "TEE-1 Organic tee 4 2" in text.replace("\n", " ")
    assert "MUG-1 Stoneware mug 2 1" in text.replace("\n", " ")
    s.close()


def s_path(s: Session, name: str):
    from tests.browser_support import SHOTS

    s.step += 1
    return SHOTS / f"{s.prefix}-{s.step:02d}-{name}.png"


def test_invoices_of_selected_orders_one_page_each(browser, live_server, orders, staff_password):
    first, second = orders
    s = Session(browser, live_server, "boss", staff_password, "docs-boss", viewport=DESKTOP)
    s.go(f"/admin/orders/order/{first.pk}/change/")
    invoice = open_from_button(s, "Invoice")
    invoice.screenshot(path=str(s_path(s, "invoice")), full_page=True)
    text = pdf_pages(invoice)[0].replace("\n", " ")
    assert f"Invoice {first.number}" in text
    assert "MUG-1 Stoneware mug 2 €8.00 €16.00" in text
    assert "Subtotal €36.00" in text and "Shipping €4.90" in text
    assert "Discount -€1.00" in text and "Total €39.90" in text
    invoice.close()

    s.go("/admin/orders/order/")
    for order in (first, second):
        s.page.check(f"input[name=_selected_action][value='{order.pk}']")
    s.page.select_option("select[name=action]", "print_invoices")
    with s.page.expect_navigation():
        s.page.get_by_role("button", name="Run").click()
    s.page.wait_for_load_state("networkidle")
    s.shot("invoices")
    pages = pdf_pages(s.page)
    assert len(pages) == 2  # a page break after each order
    assert first.number in pages[0] and second.number not in pages[0]
    assert second.number in pages[1] and "€72.50" in pages[1]  # 3 x 20.00 + 12.50
    s.close()


def test_packing_slip_on_a_phone_fits_the_screen(browser, live_server, orders, staff_password):
    first, _ = orders
    s = Session(browser, live_server, "reader", staff_password, "docs-phone", viewport=PHONE)
    s.go(f"/admin/orders/order/{first.pk}/packing-slip/")
    s.shot("packing-slip-phone")
    assert "MUG-1" in s.text()
    overflow = s.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    text = "\n".join(pdf_pages(s.page))
    assert "MUG-1" in text and "TEE-1" in text
    s.close()
