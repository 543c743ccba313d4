"""Ten API clients race for the last five units: exactly five orders, never oversold."""

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from backoffice.services import api_token_create
from catalog.models import Product
from catalog.services import stock_reconcile
from catalog.tests.factories import make_product
from orders.models import Order
from orders.services import order_stock_reconcile
from orders.tests.factories import make_customer


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_api_orders_racing_for_the_last_units_take_exactly_what_there_is(superuser):
    make_product("LAST", stock=5)
    make_customer("buyer@shop.test")
    _, key = api_token_create(user=superuser, name="race")
    barrier = threading.Barrier(10)
    statuses: list[int] = []
    lock = threading.Lock()

    def client_posts(n: int) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
            body = {
                "customer": "buyer@shop.test",
                "lines": [{"sku": "LAST", "quantity": 1}],
                "external_reference": f"race-{n}",
            }
            barrier.wait(timeout=10)
            response = client.post("/api/v1/orders/", body, format="json")
            with lock:
                statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client_posts, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 5 + [409] * 5
    assert Order.objects.count() == 5
    assert Product.objects.get(sku="LAST").stock == 0
    assert stock_reconcile() == [] and order_stock_reconcile() == []
