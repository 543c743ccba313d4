"""Real-browser tests of the forms staff fill in: inputs they can see, the price preview,
the product picker of order lines, Adjust stock on the product page."""

import re

import pytest

from catalog.models import Product, StockMovement
from catalog.tests.factories import make_category, make_product
from orders.tests.factories import make_customer
from tests.browser_support import BROWSER, DESKTOP, PHONE, Session, browser

pytestmark = BROWSER
__all__ = ["browser"]  # the fixture, imported for pytest to find

VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]

# What a person sees of an input: its border (widths and colour) and its background.
LOOKS = """el => {
  const s = getComputedStyle(el);
  return {
    border: Math.min(...["Top", "Right", "Bottom", "Left"].map(
      side => parseFloat(s[`border${side}Width`]))),
    borderColor: s.borderTopColor,
    background: s.backgroundColor,
    width: el.getBoundingClientRect().width,
  };
}"""


def assert_visible_inputs(page, names: list[str]) -> None:
    for name in names:
        field = page.locator(f"[name='{name}']:visible").first
        looks = field.evaluate(LOOKS)
        assert looks["border"] > 0, (name, looks)
        assert looks["borderColor"] not in ("transparent", "rgba(0, 0, 0, 0)"), (name, looks)
        assert looks["background"] not in ("transparent", "rgba(0, 0, 0, 0)"), (name, looks)
        assert looks["width"] > 60, (name, looks)


@pytest.fixture
def store(make_staff):
    make_staff("Catalog managers", username="cat")
    make_staff(superuser=True, username="boss")
    mugs = make_category("Mugs", "mugs")
    make_product("MUG-1", name="Blue mug", category=mugs, stock=8, price="11.50")
    make_product("MUG-2", name="Red mug", category=mugs, stock=0, price="9.00")
    make_product("MUG-3", name="Green mug", category=mugs, stock=2, price="20.00")
    make_customer("ada@shop.test", first_name="Ada", last_name="Lovelace")


def run_action(s: Session, skus: list[str], action: str) -> None:
    s.go("/admin/catalog/product/")
    for sku in skus:
        row = s.page.locator("#result_list tbody tr", has_text=sku)
        row.locator("input.action-select").check()
    s.page.select_option("select[name=action]", action)
    with s.page.expect_navigation():
        s.page.locator("button[name=index]").click()
    s.page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_inputs_have_visible_borders_and_backgrounds(
    browser, live_server, store, staff_password, viewport
):
    name = "desktop" if viewport is DESKTOP else "phone"
    s = Session(browser, live_server, "cat", staff_password, f"forms-inputs-{name}", viewport)

    run_action(s, ["MUG-1"], "adjust_stock")
    s.shot("adjust-stock")
    assert "Adjust stock" in s.text()
    assert_visible_inputs(s.page, ["quantity", "reason", "note"])

    run_action(s, ["MUG-1"], "change_price")
    s.shot("change-price")
    assert_visible_inputs(s.page, ["percent"])

    s.go("/admin/catalog/product/add/")
    s.shot("product-add")
    assert_visible_inputs(s.page, ["sku", "name", "price", "initial_stock"])
    s.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_price_change_previews_then_applies(browser, live_server, store, staff_password, viewport):
    name = "desktop" if viewport is DESKTOP else "phone"
    s = Session(browser, live_server, "cat", staff_password, f"forms-price-{name}", viewport)
    run_action(s, ["MUG-1", "MUG-3"], "change_price")
    s.page.fill("input[name=percent]", "10")
    with s.page.expect_navigation():
        s.page.get_by_role("button", name="Preview").click()
    s.shot("preview")
    preview = s.page.locator("[data-preview]").inner_text()
    assert "€11.50 → €12.65" in preview and "€20.00 → €22.00" in preview
    assert "Prices +10%" in s.text()
    assert Product.objects.get(sku="MUG-1").price == 11.50  # the preview wrote nothing

    with s.page.expect_navigation():
        s.page.get_by_role("button", name="Apply").click()
    s.page.get_by_text("Price changed by 10% on 2 product(s).").wait_for()
    s.shot("applied")
    prices = dict(Product.objects.values_list("sku", "price"))
    assert (str(prices["MUG-1"]), str(prices["MUG-3"]), str(prices["MUG-2"])) == (
        "12.65",
        "22.00",
        "9.00",
    )
    s.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_product_picker_shows_price_stock_and_warns_of_out_of_stock(
    browser, live_server, store, staff_password, viewport
):
    name = "desktop" if viewport is DESKTOP else "phone"
    s = Session(browser, live_server, "boss", staff_password, f"forms-picker-{name}", viewport)
    s.go("/admin/orders/order/add/")
    s.page.locator("select[name='items-0-product'] + .select2 .select2-selection").click()
    s.page.locator(".select2-container--open .select2-search__field").fill("MUG")
    # Wait for the answer to the whole term (select2 asks again as the term grows).
    s.page.locator(".select2-results__option--highlighted", has_text="MUG-1").wait_for()
    s.page.wait_for_load_state("networkidle")
    options = s.page.locator(".select2-results__option .product-pick")
    assert options.count() == 3
    s.shot("picker-open")
    blue = s.page.locator(".select2-results__option", has_text="MUG-1")
    assert "€11.50 · 8 in stock" in blue.inner_text()
    assert blue.locator(".product-pick-out").count() == 0
    red = s.page.locator(".select2-results__option", has_text="MUG-2")
    assert "€9.00 · 0 in stock" in red.inner_text()
    badge = red.locator(".product-pick-out")
    assert badge.inner_text() == "Out of stock" and badge.is_visible()
    faded = red.locator(".product-pick-text").evaluate("el => getComputedStyle(el).opacity")
    assert float(faded) < 1

    # Choosing the out-of-stock mug warns at once, before anything is saved.
    red.click()
    warning = s.page.locator(".product-pick-warning")
    warning.wait_for()
    expected = "MUG-2 is out of stock: this order cannot be saved with this line."
    assert warning.inner_text() == expected
    s.shot("out-of-stock-warning")

    # A product with stock, asked for more than it has, warns too; enough clears it.
    s.page.locator("select[name='items-0-product'] + .select2 .select2-selection").click()
    s.page.locator(".select2-container--open .select2-search__field").fill("MUG-3")
    s.page.locator(".select2-results__option--highlighted", has_text="MUG-3").wait_for()
    s.page.keyboard.press("Enter")
    assert warning.is_hidden()
    s.page.fill("input[name='items-0-quantity']", "5")
    assert warning.inner_text() == "Only 2 of MUG-3 in stock: this order cannot be saved with 5."
    s.page.fill("input[name='items-0-quantity']", "2")
    assert warning.is_hidden()
    s.shot("enough-stock")
    s.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("username", ["cat", "boss"])
def test_product_page_adjust_stock_button_writes_a_ledger_row(
    browser, live_server, store, staff_password, viewport, username
):
    name = "desktop" if viewport is DESKTOP else "phone"
    prefix = f"forms-adjust-{username}-{name}"
    s = Session(browser, live_server, username, staff_password, prefix, viewport)
    mug = Product.objects.get(sku="MUG-1")
    s.go(f"/admin/catalog/product/{mug.pk}/change/")
    s.shot("product-page")
    button = s.page.get_by_role("link", name=re.compile("Adjust stock"))
    if not button.is_visible():  # on a phone Unfold folds the page's actions into a menu
        s.page.locator("[x-data] a", has_text="more_horiz").first.click()
    with s.page.expect_navigation():
        button.click()
    s.page.wait_for_load_state("networkidle")
    s.shot("adjust-form")
    assert "Adjust stock: MUG-1 · Blue mug" in s.text() and "In stock now: 8." in s.text()
    assert_visible_inputs(s.page, ["quantity", "reason", "note"])
    s.page.fill("input[name=quantity]", "-3")
    s.page.select_option("select[name=reason]", "count")
    s.page.fill("input[name=note]", "shelf count")
    with s.page.expect_navigation():
        s.page.get_by_role("button", name="Apply").click()
    s.page.get_by_text("Stock adjusted by -3 on 1 product(s).").wait_for()
    s.shot("adjusted")
    assert s.page.url.endswith(f"/admin/catalog/product/{mug.pk}/change/")
    move = StockMovement.objects.latest("id")
    assert (move.product_id, move.quantity, move.reason, move.note) == (
        mug.pk,
        -3,
        "count",
        "shelf count",
    )
    assert move.created_by.username == username
    assert Product.objects.get(pk=mug.pk).stock == 5
    s.close()


def test_product_page_has_no_adjust_stock_button_for_read_only(
    browser, live_server, store, staff_password, make_staff
):
    make_staff("Read-only", username="reader")
    s = Session(browser, live_server, "reader", staff_password, "forms-adjust-reader", PHONE)
    mug = Product.objects.get(sku="MUG-1")
    s.go(f"/admin/catalog/product/{mug.pk}/change/")
    s.shot("product-page")
    assert "MUG-1" in s.text()
    assert s.page.locator(f"a[href$='/catalog/product/{mug.pk}/adjust-stock/']").count() == 0
    s.close()
