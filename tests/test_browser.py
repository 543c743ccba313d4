"""Real-browser tests of a staff day: Playwright driving Debian's chromium (browser_support)."""

import csv
import io
import re
from pathlib import Path

import pytest

from catalog.models import Product
from catalog.tests.factories import make_category, make_product
from orders.models import Order
from orders.tests.factories import make_customer
from tests.browser_support import BROWSER, Session, browser, choose_autocomplete

pytestmark = BROWSER
__all__ = ["browser"]  # the fixture, imported for pytest to find


@pytest.fixture
def shop(make_staff):
    manager = make_staff(superuser=True, username="boss")
    reader = make_staff("Read-only", username="reader")
    shoes = make_category("Shoes", "shoes")
    make_product("RUN-1", name="Runner", category=shoes, stock=10, price="50.00")
    make_product("BOOT-1", name="Boot", category=shoes, stock=3, price="80.00")
    make_product("SOCK-1", name="Sock", category=shoes, stock=40, price="5.00")
    make_customer("ada@shop.test", first_name="Ada", last_name="Lovelace")
    return manager, reader


def stock(sku: str) -> int:
    return Product.objects.get(sku=sku).stock


def test_staff_day_in_a_real_browser(browser, live_server, shop, staff_password, tmp_path):
    s = Session(browser, live_server, "boss", staff_password, "manager")

    # Search and filter products.
    s.go("/admin/catalog/product/")
    s.page.fill("input[name=q]", "run")
    with s.page.expect_navigation():
        s.page.keyboard.press("Enter")
    s.page.wait_for_load_state("networkidle")
    s.shot("search-run")
    assert "RUN-1" in s.text() and "BOOT-1" not in s.text()
    s.go("/admin/catalog/product/?stock_state=low")
    s.shot("filter-low-stock")
    assert "BOOT-1" in s.text() and "RUN-1" not in s.text()

    # Import a product CSV: preview, then confirm.
    path = tmp_path / "new-products.csv"
    path.write_text(
        "sku,name,category,price,stock,is_active\nCAP-1,Cap,shoes,15.00,7,1\nCAP-2,Beanie,shoes,12.00,0,1\n"
    )
    s.go("/admin/catalog/product/import/")
    s.page.set_input_files("input[name=import_file]", str(path))
    s.page.select_option(
        "select[name=format]",
        index=1 if s.page.locator("select[name=format] option").count() > 2 else 0,
    )
    s.shot("import-form")
    s.page.get_by_role("button", name="Submit").click()
    s.page.wait_for_load_state("networkidle")
    s.shot("import-preview")
    assert "2 rows: 2 new, 0 updated, 0 unchanged." in s.text()
    assert not Product.objects.filter(sku="CAP-1").exists()
    s.page.locator("button[type=submit]", has_text=re.compile("Confirm import", re.I)).click()
    s.page.wait_for_load_state("networkidle")
    s.shot("import-done")
    assert stock("CAP-1") == 7

    # Create an order with two lines; the stock drops.
    s.go("/admin/orders/order/add/")
    # An empty line's product picker has room for a product's name (it had shrunk to its
    # arrow, and its drop-down with it).
    empty_picker = s.page.locator("td.field-product .select2-container").first
    assert empty_picker.bounding_box()["width"] >= 250, empty_picker.bounding_box()
    choose_autocomplete(s.page, "customer", "ada@shop.test")
    choose_autocomplete(s.page, "items-0-product", "RUN-1")
    s.page.fill("input[name='items-0-quantity']", "2")
    s.page.get_by_text("Add line", exact=True).first.click()
    choose_autocomplete(s.page, "items-1-product", "SOCK-1")
    s.page.fill("input[name='items-1-quantity']", "3")
    s.shot("order-form")
    s.page.locator("input[name=_continue], button[name=_continue]").first.click()
    s.page.wait_for_load_state("networkidle")
    s.shot("order-saved")
    order = Order.objects.get()
    assert (stock("RUN-1"), stock("SOCK-1")) == (8, 37)
    assert order.number in s.text()

    # Cancel it with the order page's button (a confirmation dialog, sent as POST).
    s.page.get_by_role("link", name="Cancel order").click()
    s.page.locator("#dialog").wait_for()
    s.shot("cancel-dialog")
    assert Order.objects.get().status == "pending"  # opening the dialog changed nothing
    s.page.fill("#dialog textarea[name=reason]", "Ordered by mistake")  # cancel asks why
    s.page.locator("#dialog button[type=submit]").click()
    s.page.wait_for_load_state("networkidle")
    s.page.get_by_text(f"{order.number} is now Cancelled.").wait_for()
    s.shot("cancelled")
    assert Order.objects.get().status == "cancelled"
    assert (stock("RUN-1"), stock("SOCK-1")) == (10, 40)

    # The history shows who changed the status.
    s.go(f"/admin/orders/order/{order.pk}/history/")
    s.page.get_by_text(re.compile("Pending → Cancelled")).first.wait_for()
    s.shot("history-diff")
    history = s.text()
    assert "boss" in history and re.search(r"pending", history, re.I)

    # Export the filtered order list and read the file.
    s.go("/admin/orders/order/export/?status=cancelled")
    s.page.select_option("select[name=format]", index=1)
    with s.page.expect_download() as download_info:
        s.page.get_by_role("button", name="Submit").click()
    data = Path(download_info.value.path()).read_text()
    rows = list(csv.DictReader(io.StringIO(data)))
    assert {row["sku"] for row in rows} == {"RUN-1", "SOCK-1"}
    assert {row["order_number"] for row in rows} == {order.number}
    assert {row["status"] for row in rows} == {"cancelled"}
    s.close()

    # A Read-only user finds no button that writes.
    r = Session(browser, live_server, "reader", staff_password, "readonly")
    for path in (
        "/admin/catalog/product/",
        f"/admin/catalog/product/{Product.objects.get(sku='RUN-1').pk}/change/",
        "/admin/orders/order/",
        f"/admin/orders/order/{order.pk}/change/",
        "/admin/orders/customer/",
        "/admin/",
    ):
        r.go(path)
        r.shot(path.strip("/").replace("/", "-") or "index")
        page = r.page
        assert page.locator("input[name=_save], button[name=_save]").count() == 0, path
        assert page.locator("a[href$='/add/']").count() == 0, path
        assert page.locator("a[href$='/import/']").count() == 0, path
        # The only actions offered print documents (GET pages that write nothing).
        offered = page.locator("select[name=action] option").evaluate_all(
            "options => options.map(o => o.value).filter(Boolean)"
        )
        assert set(offered) <= {"print_packing_slips", "print_invoices", "print_pick_list"}, path
        assert page.locator("a[href*='/transition/']").count() == 0, path
        assert page.locator("a[href$='/delete/']").count() == 0, path
    r.close()


def test_product_picture_upload_shows_in_the_list_the_picker_and_the_order(
    browser, live_server, shop, staff_password, tmp_path, settings
):
    from catalog.models import ProductImage
    from catalog.tests.factories import picture_bytes

    settings.MEDIA_ROOT = tmp_path / "media"
    picture = tmp_path / "runner.jpg"
    picture.write_bytes(picture_bytes("JPEG", (400, 300)))
    runner = Product.objects.get(sku="RUN-1")
    s = Session(browser, live_server, "boss", staff_password, "pictures")

    s.go(f"/admin/catalog/product/{runner.pk}/change/")
    s.page.get_by_text(re.compile(r"Add another picture", re.I)).first.click()
    s.page.set_input_files("input[name='images-0-image']", str(picture))
    s.page.fill("input[name='images-0-alt_text']", "Runner, side view")
    s.shot("picture-chosen")
    s.page.locator("input[name=_continue], button[name=_continue]").first.click()
    s.page.wait_for_load_state("networkidle")
    s.shot("picture-saved")
    image = ProductImage.objects.get(product=runner)
    assert image.alt_text == "Runner, side view" and image.width == 400

    def shown(selector: str) -> bool:
        locator = s.page.locator(selector).first
        locator.wait_for()
        return locator.evaluate("img => img.complete && img.naturalWidth > 0")

    s.go("/admin/catalog/product/")
    s.shot("list-with-thumbnail")
    assert shown(f"img[src='{image.thumbnail.url}']")

    s.go("/admin/orders/order/add/")
    choose_autocomplete(s.page, "customer", "ada@shop.test")
    s.page.locator("select[name='items-0-product'] + .select2 .select2-selection").click()
    s.page.locator(".select2-container--open .select2-search__field").fill("RUN")
    option = s.page.locator(".select2-results__option--highlighted", has_text="RUN-1").first
    option.wait_for()
    s.shot("picker-with-thumbnail")
    assert option.locator("img.product-pick-thumb").evaluate("img => img.naturalWidth > 0")
    assert "50.00" in option.inner_text() and "10 in stock" in option.inner_text()
    s.page.keyboard.press("Enter")
    s.page.fill("input[name='items-0-quantity']", "1")
    s.page.locator("input[name=_continue], button[name=_continue]").first.click()
    s.page.wait_for_load_state("networkidle")
    s.shot("order-line-with-thumbnail")
    assert Order.objects.get().items.get().product == runner
    assert shown(f".field-display_thumbnail img[src='{image.thumbnail.url}']")
    s.close()
