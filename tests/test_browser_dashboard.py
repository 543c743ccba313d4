"""The dashboard in a real browser, at 1440 px and 390 px, as a superuser and as a catalog
manager: heading, currency, coloured changes, linked lists, the first screen on a phone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.tests.factories import make_product
from orders.tests.factories import make_order
from tests.browser_support import BROWSER, DESKTOP, PHONE, Session, browser

pytestmark = BROWSER
__all__ = ["browser"]  # the fixture, imported for pytest to find

RED, GREEN = "rgb(220, 38, 38)", "rgb(21, 128, 61)"


@pytest.fixture
def store(make_staff):
    make_staff(superuser=True, username="boss")
    make_staff("Catalog managers", username="buyer")
    mug = make_product("MUG-1", name="Stoneware mug", stock=100, price="10.00")
    make_product("CAP-1", name="Wool cap", stock=0, price="12.00")  # out of stock
    make_product("TEE-1", name="Organic tee", stock=2, price="20.00")  # low (threshold 5)
    now = timezone.now()
    make_order([(mug, 2)], placed_at=now)
    # Last 7 days 20.00 against 50.00 the 7 days before: -60%, red. Last 30 days 70.00
    # against 10.00: +600%, green.
    make_order([(mug, 5)], placed_at=now - timedelta(days=10))
    make_order([(mug, 1)], placed_at=now - timedelta(days=40))


def change(s: Session, title: str):
    """The change line of the KPI card titled ``title``."""
    card = s.page.locator(".kpi", has=s.page.locator(f"[data-kpi='{title}']"))
    return card.locator(".kpi-change")


def first_screen(s: Session, selector: str) -> bool:
    """Whether the element's top is within the first screen height (no scrolling)."""
    box = s.page.locator(selector).first.bounding_box()
    return box is not None and box["y"] + 40 < s.page.viewport_size["height"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_superuser_dashboard(browser, live_server, store, staff_password, viewport):
    name = f"dash-boss-{viewport['width']}"
    s = Session(browser, live_server, "boss", staff_password, name, viewport=viewport)
    s.go("/admin/")
    s.shot("dashboard")
    assert s.page.get_by_text("Our store · Dashboard").first.is_visible()
    assert "Site administration" not in s.text()
    revenue = s.page.locator("[data-kpi='Revenue last 7 days']")
    assert revenue.inner_text() == "€20.00"
    assert s.page.locator("[data-kpi='Revenue last 30 days']").inner_text() == "€70.00"
    bad, good = change(s, "Revenue last 7 days"), change(s, "Revenue last 30 days")
    assert bad.inner_text() == "▼ -60% vs previous period"
    assert good.inner_text() == "▲ +600% vs previous period"
    assert bad.evaluate("e => getComputedStyle(e).color") == RED
    assert good.evaluate("e => getComputedStyle(e).color") == GREEN
    neutral = change(s, "Orders last 7 days")
    assert neutral.inner_text() == "+0% vs previous period"
    assert neutral.evaluate("e => getComputedStyle(e).color") not in (RED, GREEN)
    # Both charts are drawn; on a phone the revenue chart is on the first screen.
    assert s.page.locator("canvas.chart").count() == 2
    assert first_screen(s, "canvas.chart")
    assert "Delivered" in s.page.locator("#finished-orders").inner_text()
    # The low-stock list links to the product.
    link = s.page.locator("#low-stock a", has_text="Wool cap")
    assert link.is_visible() or viewport is PHONE
    link.click()
    s.page.wait_for_load_state("networkidle")
    s.shot("product-from-dashboard")
    assert "/admin/catalog/product/" in s.page.url and "CAP-1" in s.page.content()
    s.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_catalog_manager_dashboard(browser, live_server, store, staff_password, viewport):
    name = f"dash-buyer-{viewport['width']}"
    s = Session(browser, live_server, "buyer", staff_password, name, viewport=viewport)
    s.go("/admin/")
    s.shot("dashboard")
    text = s.text()
    assert "Our store · Dashboard" in text and "Revenue" not in text
    rows = s.page.locator("#low-stock tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).inner_text().split()[0] == "CAP-1"  # emptiest first
    assert first_screen(s, "#low-stock")
    # Two lists side by side on a desktop: no empty half.
    if viewport is DESKTOP:
        low = s.page.locator("#low-stock").bounding_box()
        ledger = s.page.get_by_text("Latest stock movements").bounding_box()
        assert abs(low["y"] - ledger["y"]) < 80 and ledger["x"] > low["x"] + 300
    s.page.locator("#low-stock a", has_text="Organic tee").click()
    s.page.wait_for_load_state("networkidle")
    assert "/admin/catalog/product/" in s.page.url and "TEE-1" in s.page.content()
    s.close()
