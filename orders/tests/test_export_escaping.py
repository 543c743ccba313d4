"""The streamed order-lines CSV escapes formulas and quotes like the resource export."""

import csv
import io

import pytest

from catalog.tests.factories import make_product
from orders.exporting import stream_order_lines_csv
from orders.models import OrderItem
from orders.tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db


def test_escaping():
    p = make_product("-SKU", name='=1+1, "quoted"\nline', stock=10)
    p2 = make_product("\tTAB", name="@SUM(A1)", stock=10)
    c = make_customer("+x@example.com", first_name="=cmd", last_name="Smith")
    c2 = make_customer("ok@example.com", first_name="Ann", last_name="=evil")
    make_order([(p, 1)], customer=c)
    make_order([(p2, 2)], customer=c2)
    data = b"".join(stream_order_lines_csv(OrderItem.objects.all())).decode()
    rows = list(csv.reader(io.StringIO(data)))
    for r in rows[1:]:
        for cell in r[3:7]:
            assert cell[:1] not in "=+-@\t\r" or cell == "", (cell, r)
