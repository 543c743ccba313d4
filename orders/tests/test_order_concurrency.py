"""Orders racing for the last units (PostgreSQL: real row locks, one connection per thread)."""

import threading

import pytest
from django.db import connections

from catalog.models import Product
from catalog.services import InsufficientStock, stock_reconcile
from catalog.tests.factories import make_product
from orders.models import Order
from orders.tests.factories import make_customer, make_order

THREADS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_sell_exactly_the_available_units():
    # Two products, locked in opposite line order by half the threads: no deadlock either.
    mug, tee = make_product("MUG", stock=5), make_product("TEE", stock=100)
    customers = [make_customer() for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def place(n: int) -> None:
        lines = [(mug, 1), (tee, 1)] if n % 2 else [(tee, 1), (mug, 1)]
        try:
            start.wait()
            try:
                make_order(lines, customer=customers[n])
                result = "sold"
            except InsufficientStock:
                result = "refused"
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=place, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == THREADS
    assert outcomes.count("sold") == 5 and outcomes.count("refused") == THREADS - 5
    assert Product.objects.get(pk=mug.pk).stock == 0
    assert Product.objects.get(pk=tee.pk).stock == 95
    assert Order.objects.count() == 5
    assert stock_reconcile() == []
