"""Order-line exports: the streamed CSV of the admin and the resource (XLSX, manage.py export)."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.tests.factories import make_product
from orders.exporting import stream_order_lines_csv
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
