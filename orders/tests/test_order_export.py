"""Order-line exports: the streamed CSV of the admin and the resource (XLSX, manage.py export)."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.http import StreamingHttpResponse
from django.urls import reverse

from catalog.tests.factories import make_product
from foundation.tests.sheets import library_xlsx_values, xlsx_values
from foundation.xlsx import CONTENT_TYPE
from orders.exporting import HEADER, stream_order_lines_csv
from orders.models import Order, OrderItem, OrderStatus
from orders.resources import OrderLineResource
from orders.tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db


def test_order_export_streams_the_lines_of_the_filtered_list(admin_client_super, products):
    mug, tee = products
    risky = make_customer("x@shop.test", first_name="=cmd|' /C calc'!A0", last_name="X")
    paid = make_order([(mug, 2), (tee, 1)], customer=risky)
    make_order([(mug, 1)])
    Order.objects.filter(pk=paid.pk).update(status=OrderStatus.PAID)
    url = reverse("admin:orders_order_export") + "?status=paid"
    response = admin_client_super.post(url, {"format": 0, "resource": 0})
    assert response.streaming
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert lines[0] == (
        "order_number,status,placed_at,customer_email,customer_name,sku,product_name,"
        "quantity,unit_price,line_total,order_total"
    )
    assert len(lines) == 3  # two lines of the one paid order
    assert all(paid.number in line for line in lines[1:])
    assert "'=cmd" in lines[1]


def test_order_export_needs_the_view_permission(client_for, make_staff, products):
    make_order([(products[0], 1)])
    url = reverse("admin:orders_order_export")
    assert client_for(make_staff("Catalog managers")).post(url, {"format": 0}).status_code == 403
    allowed = client_for(make_staff("Read-only")).post(url, {"format": 0, "resource": 0})
    assert allowed.status_code == 200 and b"MUG" in b"".join(allowed.streaming_content)


def test_stream_order_lines_csv_matches_the_resource_export(products):
    """The streamed CSV and OrderLineResource (XLSX, manage.py export) agree cell for cell."""
    mug, tee = products
    make_order([(mug, 2), (tee, 1)], customer=make_customer(first_name="@evil"))
    make_order([(tee, 3)], shipping_cost=Decimal("4.90"))
    items = OrderLineResource().get_queryset()
    streamed = b"".join(stream_order_lines_csv(items)).decode()
    exported = OrderLineResource().export(items).csv
    assert list(csv.reader(io.StringIO(streamed))) == list(csv.reader(io.StringIO(exported)))


def test_stream_order_lines_csv_escapes_formulas_and_quotes():
    mug = make_product("-SKU", name='=1+1, "quoted"\nline', stock=10)
    tab = make_product("\tTAB", name="@SUM(A1)", stock=10)
    make_order([(mug, 1)], customer=make_customer("+x@example.com", first_name="=cmd"))
    make_order([(tab, 2)], customer=make_customer("ok@example.com", last_name="=evil"))
    data = b"".join(stream_order_lines_csv(OrderItem.objects.order_by("pk"))).decode()
    rows = {row["sku"]: row for row in csv.DictReader(io.StringIO(data))}
    assert sorted(rows) == ["'\tTAB", "'-SKU"]
    first, second = rows["'-SKU"], rows["'\tTAB"]
    assert first["product_name"] == '\'=1+1, "quoted"\nline'  # quoted, newline kept
    assert (first["customer_email"], first["customer_name"][:4]) == ("'+x@example.com", "'=cm")
    assert second["product_name"] == "'@SUM(A1)"
    assert second["customer_name"].endswith(" =evil")  # not at the start of the cell: harmless
    for row in rows.values():
        for column in ("customer_email", "customer_name", "sku", "product_name"):
            assert row[column][:1] not in ("=", "+", "-", "@", "\t", "\r"), (column, row)


def tricky_orders(products):
    mug, tee = products
    odd = make_product("-ODD", name="=1+1 & <x>\nsecond line", stock=10, price="19.90")
    make_order([(mug, 2), (tee, 1)], customer=make_customer("+x@example.com", first_name="@evil"))
    make_order([(odd, 3)], customer=make_customer(first_name="", last_name="=Solo"))
    make_order([(tee, 1)], shipping_cost=Decimal("4.90"))


def test_order_lines_xlsx_stream_equals_the_library_export(products):
    tricky_orders(products)
    items = OrderLineResource().get_queryset()
    streamed = xlsx_values(b"".join(OrderLineResource().export_xlsx(items)))
    assert streamed == library_xlsx_values(OrderLineResource(), items)
    assert len(streamed) == 5
    solo = next(row for row in streamed if row[5] == "'-ODD")
    assert solo[4] == "'=Solo" and solo[6] == "'=1+1 & <x>\nsecond line"
    assert (solo[7], solo[8], solo[9]) == (3, 19.9, 59.7)  # numbers, not text


def test_order_lines_xlsx_keeps_only_the_selected_fields(products):
    tricky_orders(products)
    fields = ["sku", "order_number", "line_total"]
    streamed = xlsx_values(b"".join(OrderLineResource().export_xlsx(export_fields=fields)))
    assert streamed[0] == ("order_number", "sku", "line_total")
    assert streamed == library_xlsx_values(OrderLineResource(), export_fields=fields)


def test_order_admin_xlsx_export_streams_the_filtered_lines(admin_client_super, products):
    mug, tee = products
    paid = make_order([(mug, 2), (tee, 1)])
    make_order([(mug, 1)])
    Order.objects.filter(pk=paid.pk).update(status=OrderStatus.PAID)
    url = reverse("admin:orders_order_export") + "?status=paid"
    response = admin_client_super.post(url, {"format": 1, "resource": 0})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == CONTENT_TYPE
    assert re.fullmatch(
        r'attachment; filename="order-lines-\d{4}-\d\d-\d\d-\d{6}\.xlsx"',
        response["Content-Disposition"],
    )
    rows = xlsx_values(b"".join(response.streaming_content))
    assert rows[0] == tuple(HEADER)
    assert [(row[0], row[5], row[7]) for row in rows[1:]] == [
        (paid.number, "MUG", 2),
        (paid.number, "TEE", 1),
    ]


def test_order_xlsx_export_is_refused_without_the_view_permission(client_for, make_staff, products):
    make_order([(products[0], 1)])
    url = reverse("admin:orders_order_export")
    response = client_for(make_staff("Catalog managers")).post(url, {"format": 1, "resource": 0})
    assert response.status_code == 403 and not response.streaming


def test_export_command_streams_xlsx_to_a_file(products, tmp_path):
    tricky_orders(products)
    target = tmp_path / "lines.xlsx"
    call_command("export", "XLSX", "orders.resources.OrderLineResource", output=str(target))
    expected = library_xlsx_values(OrderLineResource(), OrderLineResource().get_queryset())
    assert xlsx_values(target.read_bytes()) == expected


def test_customer_xlsx_export_imports_back_unchanged(admin_client_super, superuser):
    from foundation.formats import BoundedXLSX
    from orders.models import Customer
    from orders.resources import CustomerResource

    make_customer("a@example.com", first_name="'Quote", notes="=cmd\nline two", phone="+49 30 1")
    make_customer("b@example.com", last_name="Ünïcode & <co>", country="")
    before = list(Customer.objects.order_by("email").values())
    response = admin_client_super.post(
        reverse("admin:orders_customer_export"), {"format": 1, "resource": 0}
    )
    data = b"".join(response.streaming_content)
    assert xlsx_values(data) == library_xlsx_values(CustomerResource())
    result = CustomerResource().import_data(BoundedXLSX().create_dataset(data), user=superuser)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == 2
    assert list(Customer.objects.order_by("email").values()) == before
