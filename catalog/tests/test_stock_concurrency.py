"""Many transactions taking the same stock at once (PostgreSQL: real row locks)."""

import threading

import pytest
from django.db import connections

from catalog.models import Product
from catalog.services import InsufficientStock, stock_adjust, stock_reconcile
from catalog.tests.factories import ledger_total, make_product

THREADS = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_stock_adjust_concurrent_threads_lose_no_update():
    product = make_product(stock=6)
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def take_one() -> None:
        try:
            mine = Product.objects.get(pk=product.pk)
            start.wait()
            try:
                stock_adjust(product=mine, quantity=-1, reason="order", reference="race")
                result = "sold"
            except InsufficientStock:
                result = "refused"
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take_one) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    product.refresh_from_db()
    assert outcomes.count("sold") == 6
    assert outcomes.count("refused") == THREADS - 6
    assert product.stock == 0
    assert ledger_total(product) == 0
    assert product.movements.filter(reference="race").count() == 6
    assert stock_reconcile() == []
