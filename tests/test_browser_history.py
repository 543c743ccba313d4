"""Real-browser tests: the import preview shows what changes, the order history shows its
line changes (at 1440 px and 390 px, for the roles that use each page)."""

import re
from decimal import Decimal

import pytest

from catalog.models import Product
from catalog.tests.factories import make_category, make_product
from orders.models import OrderItem
from orders.services import order_save
from orders.tests.factories import make_order
from tests.browser_support import BROWSER, DESKTOP, PHONE, Session, browser

pytestmark = BROWSER
__all__ = ["browser"]  # the fixture, imported for pytest to find

VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


def login(make_staff, browser, live_server, staff_password, role, viewport, prefix) -> Session:
    if role == "superuser":
        make_staff(superuser=True, username="boss")
        username = "boss"
    else:
        make_staff(role, username="staffer")
        username = "staffer"
    return Session(browser, live_server, username, staff_password, prefix, viewport=viewport)


@pytest.mark.parametrize("size", VIEWPORTS)
@pytest.mark.parametrize("role", ["superuser", "Catalog managers"])
def test_import_preview_shows_now_and_file_values(
    browser, live_server, make_staff, staff_password, tmp_path, role, size
):
    kitchen = make_category("Kitchen", "kitchen")
    make_category("Gifts", "gifts")
    make_product("MUG-1", name="Mug", category=kitchen, price="11.50", stock=60)
    slug = role.split()[0].lower()
    s = login(
        make_staff, browser, live_server, staff_password, role, VIEWPORTS[size],
        f"history-preview-{slug}-{size}",
    )  # fmt: skip
    path = tmp_path / "products.csv"
    path.write_text(
        "sku,name,category,price,stock,is_active\n"
        "MUG-1,Mug,gifts,11.90,65,1\nBOWL-1,Bowl,kitchen,7.00,4,1\n"
    )
    s.go("/admin/catalog/product/import/")
    s.page.set_input_files("input[name=import_file]", str(path))
    s.page.get_by_role("button", name="Submit").click()
    s.page.wait_for_load_state("networkidle")
    table = s.page.locator("#import-preview-rows")
    table.scroll_into_view_if_needed()
    s.shot("preview")
    text = re.sub(r"\s+", " ", s.text())
    assert "11.50 → 11.90" in text
    assert "60 → 65" in text
    assert "kitchen → gifts" in text
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    assert "Price\nprice" in headers and "Low stock threshold\nlow_stock_threshold" in headers
    totals = s.page.locator("#import-totals").inner_text()
    assert re.search(r"NEW\s+1\s+UPDATED\s+1\s+UNCHANGED\s+0\s+DELETED\s+0\s+ERRORS\s+0", totals)
    # A changed cell stands out: a tinted background, the new value in bold.
    changed = table.locator("td.preview-changed").first
    background = changed.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    weight = changed.locator(".preview-new").evaluate("e => getComputedStyle(e).fontWeight")
    assert int(weight) >= 600
    # The totals are on screen before any scrolling, also on a phone.
    s.go("/admin/catalog/product/import/")  # nothing was imported by the preview
    assert Product.objects.get(sku="MUG-1").price == Decimal("11.50")
    s.close()


@pytest.mark.parametrize("size", VIEWPORTS)
@pytest.mark.parametrize("role", ["superuser", "Customer support"])
def test_order_history_shows_the_line_change(
    browser, live_server, make_staff, staff_password, superuser, role, size
):
    mug = make_product("MUG-1", name="Mug", price="9.90", stock=20)
    order = make_order([(mug, 1)], user=superuser)
    line = OrderItem.objects.get(order=order)
    line.quantity = 2
    order_save(order=order, user=superuser, change=[line])
    slug = role.split()[0].lower()
    s = login(
        make_staff, browser, live_server, staff_password, role, VIEWPORTS[size],
        f"history-order-{slug}-{size}",
    )  # fmt: skip
    s.go(f"/admin/orders/order/{order.pk}/history/")
    s.shot("order-history")
    changes = s.page.locator("#change-history .history-change")
    texts = [re.sub(r"\s+", " ", t) for t in changes.all_inner_texts()]
    assert "MUG-1 quantity: 1 → 2" in texts
    assert "Line added: MUG-1 \N{MULTIPLICATION SIGN} 1 @ €9.90" in texts
    first = changes.filter(has_text="MUG-1 quantity").first
    assert first.is_visible()
    s.close()
