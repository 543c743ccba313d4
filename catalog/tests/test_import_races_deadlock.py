"""An import and a sale touching the same products at once never deadlock (PostgreSQL)."""

import threading
import time

import pytest
import tablib
from django.db import connections, transaction

import catalog.importing as importing
from catalog.models import StockMovement
from catalog.resources import ProductResource
from catalog.services import stock_adjust
from catalog.tests.factories import make_category, make_product

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
HEADERS = ["sku", "name", "category", "price", "stock", "is_active"]


def test_import_and_an_order_never_deadlock(superuser, monkeypatch):
    shoes = make_category("Shoes", "shoes")
    low = make_product("A-LOW", name="Low", category=shoes, stock=10)  # smaller pk
    high = make_product("B-HIGH", name="High", category=shoes, stock=10)  # larger pk
    # The file renames HIGH (row lock in _write_changes) and sets LOW's stock (lock later).
    data = tablib.Dataset(
        ("A-LOW", "Low", "shoes", "10.00", "7", "1"),
        ("B-HIGH", "High renamed", "shoes", "10.00", "10", "1"),
        headers=HEADERS,
    )
    changes_locked, order_holds_low = threading.Event(), threading.Event()
    original = importing.stock_set_bulk

    def slow_stock_set_bulk(**kwargs):
        changes_locked.set()
        order_holds_low.wait(5)
        time.sleep(0.3)  # let the order block on HIGH
        return original(**kwargs)

    monkeypatch.setattr(importing, "stock_set_bulk", slow_stock_set_bulk)
    errors = {}

    def order():  # an order with both products: locks in pk order, as every stock writer does
        try:
            changes_locked.wait(5)
            with transaction.atomic():
                stock_adjust(product=low, quantity=-1, reason=StockMovement.Reason.ORDER)
                order_holds_low.set()
                stock_adjust(product=high, quantity=-1, reason=StockMovement.Reason.ORDER)
        except Exception as e:
            errors["order"] = repr(e)
        finally:
            connections.close_all()

    def run_import():
        try:
            result = ProductResource().import_data(data, dry_run=False, user=superuser)
            if result.has_errors():
                errors["import"] = [e.error for e in result.base_errors]
        except Exception as e:
            errors["import"] = repr(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_import), threading.Thread(target=order)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
