"""An order costs the same number of queries whatever its number of lines."""

from decimal import Decimal

import pytest

from catalog.models import StockMovement
from catalog.tests.factories import make_product
from orders.models import Order, OrderItem
from orders.services import order_save
from orders.tests.factories import make_customer, order_payload
from orders.tests.queries import expected

pytestmark = pytest.mark.django_db

LINES = [1, 10, 50]


@pytest.fixture
def catalog():
    return [make_product(f"Q{i:03d}", stock=100, price="2.50") for i in range(50)]


@pytest.mark.parametrize("lines", LINES)
def test_order_save_queries_do_not_grow_with_lines(
    lines, catalog, superuser, django_assert_num_queries
):
    customer = make_customer()
    order = Order(customer=customer)
    add = [OrderItem(product=product, quantity=2) for product in catalog[:lines]]
    # savepoint, number, the order with its history, lines with theirs, lock, counters with
    # the ledger, the rollups of both tables, release
    with django_assert_num_queries(expected(8)):
        order_save(order=order, user=superuser, add=add)
    assert OrderItem.objects.filter(order=order).count() == lines
    assert StockMovement.objects.filter(reference=order.stock_reference).count() == lines
    assert OrderItem.history.filter(order_id=order.pk).count() == lines
    assert order.total == Decimal("5.00") * lines


@pytest.mark.parametrize("lines", LINES)
def test_order_admin_add_queries_do_not_grow_with_lines(
    lines, catalog, admin_client_super, django_assert_num_queries
):
    customer = make_customer()
    payload = order_payload(customer, [{"product": p, "quantity": 1} for p in catalog[:lines]])
    with django_assert_num_queries(expected(15)):  # one of them: the rollups
        response = admin_client_super.post("/admin/orders/order/add/", payload)
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.items.count() == lines
    assert StockMovement.objects.filter(reference=order.stock_reference).count() == lines


def test_order_import_queries_per_order_do_not_grow_with_lines(catalog, superuser):
    """One CSV order of 1, 10 and 50 lines: the same queries, at most 25."""
    import tablib
    from django.db import connection as default_connection
    from django.test.utils import CaptureQueriesContext

    from orders.resources import OrderImportResource

    make_customer("csv@shop.test")
    header = "external_reference,customer_email,sku,quantity\n"
    counts = []
    for lines in LINES:
        rows = "".join(f"CSV-{lines},csv@shop.test,{p.sku},1\n" for p in catalog[:lines])
        dataset = tablib.Dataset().load(header + rows, format="csv")
        with CaptureQueriesContext(default_connection) as queries:
            result = OrderImportResource().import_data(dataset, dry_run=False, user=superuser)
        assert not result.has_errors() and not result.has_validation_errors()
        assert Order.objects.get(external_reference=f"CSV-{lines}").items.count() == lines
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2] <= 25, counts
