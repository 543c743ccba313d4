"""Orders from CSV: grouped by external_reference, all or nothing, idempotent, stock once."""

import io

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from catalog.models import Product, StockMovement
from catalog.services import stock_reconcile
from orders.models import Customer, Order, OrderItem
from orders.resources import OrderImportResource
from orders.services import order_stock_reconcile
from orders.tests.factories import make_customer

pytestmark = pytest.mark.django_db

HEADER = (
    "external_reference,customer_email,first_name,last_name,sku,quantity,unit_price,"
    "shipping_cost,discount,placed_at,status\n"
)
GOOD = HEADER + (
    "M-1,new@shop.test,Nina,New,MUG,2,,4.90,0,2026-11-20 10:00,paid\n"
    "M-1,new@shop.test,Nina,New,TEE,1,15.00,4.90,0,2026-11-20 10:00,paid\n"
    "M-2,old@shop.test,,,mug,1,,,,,\n"
)


def world() -> tuple:
    return (
        Order.objects.count(),
        OrderItem.objects.count(),
        Customer.objects.count(),
        StockMovement.objects.count(),
        sorted(Product.objects.values_list("sku", "stock")),
    )


def run(text: str, *, dry_run: bool = False, user=None):
    dataset = tablib.Dataset().load(text, format="csv")
    return OrderImportResource().import_data(dataset, dry_run=dry_run, user=user)


def test_order_import_groups_rows_into_orders_and_moves_stock_once(products, superuser):
    make_customer("old@shop.test")
    result = run(GOOD, user=superuser)
    assert not result.has_validation_errors() and not result.has_errors()
    assert result.totals["new"] == 2
    m1 = Order.objects.get(external_reference="M-1")
    assert (m1.status, m1.item_count, str(m1.total)) == ("paid", 3, "35.90")
    assert m1.customer.email == "new@shop.test" and m1.customer.first_name == "Nina"
    assert m1.placed_at.strftime("%Y-%m-%d %H:%M") == "2026-11-20 10:00"
    assert Product.objects.get(sku="MUG").stock == 7 and Product.objects.get(sku="TEE").stock == 4
    history = m1.history.get()
    assert history.history_user == superuser
    assert history.history_change_reason.startswith("import:orders-")
    assert stock_reconcile() == [] and order_stock_reconcile() == []
    before = world()
    again = run(GOOD, user=superuser)
    assert again.totals["skip"] == 2 and again.totals["new"] == 0
    assert world() == before


def test_order_import_refuses_the_whole_file_with_row_and_column(products):
    before = world()
    bad = HEADER + (
        "M-1,new@shop.test,Nina,New,MUG,2,,,,,\n"
        "M-1,other@shop.test,Nina,New,TEE,1,,,,,\n"
        "M-2,x@shop.test,Xi,X,NOPE,1,,,,,shipped\n"
        "M-3,y@shop.test,,,MUG,1,,,,,\n"
    )
    result = run(bad)
    assert result.has_validation_errors()
    errors = {(row.number, column) for row in result.invalid_rows for column in row.error_dict}
    assert errors == {(2, "customer_email"), (3, "status")}
    assert world() == before
    result = run(HEADER + "M-3,y@shop.test,,,MUG,1,,,,,\nM-4,z@shop.test,Z,Z,NOPE,1,,,,,\n")
    errors = {(row.number, column) for row in result.invalid_rows for column in row.error_dict}
    assert errors == {(1, "first_name"), (1, "last_name"), (2, "sku")}
    assert world() == before


def test_order_import_short_of_stock_rolls_back_every_order(products):
    make_customer("old@shop.test")
    before = world()
    text = HEADER + "M-1,old@shop.test,,,MUG,2,,,,,\nM-2,old@shop.test,,,TEE,6,,,,,\n"
    result = run(text)
    assert result.has_validation_errors()
    (row,) = result.invalid_rows
    assert row.number == 2 and "Not enough stock for TEE" in row.error_dict["quantity"][0]
    assert world() == before


def test_order_import_dry_run_writes_nothing(products):
    make_customer("old@shop.test")
    before = world()
    result = run(GOOD, dry_run=True)
    assert result.totals["new"] == 2 and not result.has_validation_errors()
    assert world() == before


def test_manage_py_import_orders(products, tmp_path):
    make_customer("old@shop.test")
    path = tmp_path / "orders.csv"
    path.write_text(GOOD)
    out = io.StringIO()
    call_command(
        "import", "orders.resources.OrderImportResource", str(path), interactive=False, stdout=out
    )
    assert "2 new" in out.getvalue()
    assert Order.objects.filter(external_reference__in=["M-1", "M-2"]).count() == 2
    assert Order.objects.get(external_reference="M-1").status == "paid"


def test_order_import_in_the_admin_preview_then_confirm(products, admin_client_super):
    make_customer("old@shop.test")
    upload = SimpleUploadedFile("orders.csv", GOOD.encode(), content_type="text/csv")
    preview = admin_client_super.post(
        "/admin/orders/order/import/", {"import_file": upload, "format": 0}
    )
    assert preview.status_code == 200
    assert preview.context["confirm_form"] is not None
    assert Order.objects.count() == 0  # the preview wrote nothing
    data = dict(preview.context["confirm_form"].initial)
    done = admin_client_super.post("/admin/orders/order/process_import/", data)
    assert done.status_code == 302
    assert Order.objects.count() == 2


def test_order_import_refuses_more_orders_than_a_file_may_hold(products, settings):
    settings.IMPORT_MAX_ORDERS = 2
    make_customer("old@shop.test")
    text = HEADER + "".join(f"M-{n},old@shop.test,,,MUG,1,,,,,\n" for n in range(3))
    before = world()
    result = run(text)
    assert result.has_validation_errors()
    (row,) = result.invalid_rows
    assert row.number == 3
    assert "at most 2 orders (it holds 3)" in str(row.error.message_dict["external_reference"])
    assert world() == before
