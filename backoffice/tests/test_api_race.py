"""Ten API clients race for the last five units: exactly five orders, never oversold."""

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from backoffice.services import api_token_create
from catalog.models import Product
from catalog.services import stock_reconcile
from catalog.tests.factories import make_product
from orders.models import Customer, Order
from orders.services import order_stock_reconcile
from orders.tests.factories import make_customer


def race(key: str, bodies: list[dict]) -> list[int]:
    """POST every body at once, each from its own thread and connection; the statuses."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []
    lock = threading.Lock()

    def client_posts(body: dict) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
            barrier.wait(timeout=10)
            response = client.post("/api/v1/orders/", body, format="json")
            with lock:
                statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client_posts, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_reference", [True, False])
def test_api_orders_racing_for_the_last_units_take_exactly_what_there_is(superuser, with_reference):
    """With an external reference the order is saved under a savepoint; without, not."""
    make_product("LAST", stock=5)
    make_customer("buyer@shop.test")
    _, key = api_token_create(user=superuser, name="race")
    bodies = [
        {
            "customer": "buyer@shop.test",
            "lines": [{"sku": "LAST", "quantity": 1}],
            **({"external_reference": f"race-{n}"} if with_reference else {}),
        }
        for n in range(10)
    ]
    assert race(key, bodies) == [201] * 5 + [409] * 5
    assert Order.objects.count() == 5
    assert Product.objects.get(sku="LAST").stock == 0
    assert stock_reconcile() == [] and order_stock_reconcile() == []


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_orders_racing_to_add_the_same_new_customer_all_succeed_with_one_customer(superuser):
    make_product("MANY", stock=100)
    _, key = api_token_create(user=superuser, name="race")
    new = {"email": "First@Shop.test", "first_name": "F", "last_name": "T"}
    bodies = [{"customer": new, "lines": [{"sku": "MANY", "quantity": 1}]} for _ in range(8)]
    assert race(key, bodies) == [201] * 8
    customer = Customer.objects.get()
    assert customer.email == "first@shop.test"
    assert Order.objects.filter(customer=customer).count() == 8
    assert customer.history.count() == 1
    assert stock_reconcile() == [] and order_stock_reconcile() == []
