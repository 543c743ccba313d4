"""Demo fixtures, load_demo and seed."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse

from backoffice.models import User
from catalog.models import Category, Product, StockMovement
from catalog.services import stock_reconcile
from catalog.tests.factories import make_product
from foundation.display import money
from orders.models import Customer, DailyOrderRollup, Order, OrderItem, OrderStatus
from orders.rollups import rollups_check
from orders.services import order_next_number, order_numbers_last, order_stock_reconcile

pytestmark = pytest.mark.django_db

FIXTURES = ["demo_catalog", "demo_customers", "demo_orders", "demo_staff"]


def state() -> tuple:
    return (
        Category.objects.count(),
        Product.objects.count(),
        StockMovement.objects.count(),
        Customer.objects.count(),
        Order.objects.count(),
        OrderItem.objects.count(),
        tuple(Product.objects.order_by("pk").values_list("stock", flat=True)),
        tuple(Order.objects.order_by("pk").values_list("status", "total")),
    )


def test_demo_fixtures_load_twice_without_change_and_reconcile():
    call_command("loaddata", *FIXTURES, verbosity=0)
    first = state()
    categories, products, movements, customers, orders, _, _, _ = first
    assert (categories, customers) == (10, 45)
    assert products >= 60 and orders >= 150 and movements > products
    assert stock_reconcile() == []
    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in OrderStatus}
    assert Product.objects.filter(stock=0).exists()  # some out of stock
    assert any(0 < p.stock <= p.low_stock_threshold for p in Product.objects.all())  # some low

    call_command("loaddata", *FIXTURES, verbosity=0)
    assert state() == first
    assert stock_reconcile() == [] and order_stock_reconcile() == []


HISTORY_MODELS = (Category, Product, Customer, Order, OrderItem)


def test_demo_fixtures_give_every_row_a_first_history_row():
    call_command("loaddata", *FIXTURES, verbosity=0)
    for model in HISTORY_MODELS:
        rows = model.objects.count()
        assert model.history.filter(history_type="+").count() == rows, model.__name__
        assert model.history.count() == rows, model.__name__  # only the first ones
    product = Product.objects.order_by("pk").first()
    first = product.history.get()
    assert (first.name, first.price, first.history_change_reason) == (
        product.name,
        product.price,
        "Demo data",
    )
    assert first.history_date == product.created_at
    order = Order.objects.order_by("pk").first()
    assert order.history.get().status == order.status
    assert order.history.get().history_date == order.placed_at
    assert sorted(OrderItem.history.filter(order_id=order.pk).values_list("id", flat=True)) == (
        sorted(order.items.values_list("id", flat=True))
    )
    # Loading again replaces them: still one each.
    call_command("loaddata", *FIXTURES, verbosity=0)
    assert Product.history.count() == Product.objects.count()


def test_first_edit_of_a_demo_product_shows_what_changed(admin_client_super):
    call_command("loaddata", *FIXTURES, verbosity=0)
    product = Product.objects.order_by("pk").first()
    url = reverse("admin:catalog_product_change", args=[product.pk])
    data = {
        "sku": product.sku,
        "name": product.name,
        "category": product.category_id,
        "description": product.description,
        "price": "123.45",
        "low_stock_threshold": product.low_stock_threshold,
        "is_active": "on",
        "images-TOTAL_FORMS": 0,
        "images-INITIAL_FORMS": 0,
        "movements-TOTAL_FORMS": 0,
        "movements-INITIAL_FORMS": 0,
    }
    response = admin_client_super.post(url, data)
    assert response.status_code == 302
    history = admin_client_super.get(reverse("admin:catalog_product_history", args=[product.pk]))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", history.content.decode()))
    assert f"Price : {money(product.price)} → €123.45" in text
    assert "Demo data" in text  # the Created row


def test_load_demo_moves_history_dates_with_the_rows():
    call_command("load_demo", stdout=StringIO())
    order = Order.objects.order_by("pk").first()
    assert order.history.get().history_date == order.placed_at
    product = Product.objects.order_by("pk").first()
    assert product.history.get().history_date == product.created_at


def test_demo_fixture_orders_agree_with_the_ledger():
    call_command("loaddata", *FIXTURES, verbosity=0)
    for order in Order.objects.prefetch_related("items")[:40]:
        moved = StockMovement.objects.filter(reference=order.stock_reference)
        held = -sum(moved.values_list("quantity", flat=True))
        expected = sum(i.quantity for i in order.items.all()) if order.holds_stock else 0
        assert held == expected, order.number


def test_demo_staff_have_one_role_each():
    call_command("loaddata", *FIXTURES, verbosity=0)
    demo = User.objects.filter(username__startswith="demo-")
    assert sorted(u.groups.get().name for u in demo) == sorted(
        ["Catalog managers", "Fulfilment", "Customer support", "Read-only"]
    )
    assert all(u.check_password("demo-password") and not u.is_superuser for u in demo)


def test_load_demo_loads_once_and_moves_dates_to_now():
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "Loaded the demo store" in out.getvalue()
    first = state()
    call_command("load_demo", stdout=out)
    assert "already has data" in out.getvalue()
    assert state() == first
    from django.utils import timezone

    newest = Order.objects.latest("placed_at").placed_at
    assert abs((timezone.now() - newest).total_seconds() - 3600) < 600
    assert stock_reconcile() == []


def test_load_demo_leaves_a_store_with_its_own_data_alone():
    make_product("MINE-1", stock=3)
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "already has data" in out.getvalue()
    assert Product.objects.count() == 1


def test_seed_makes_the_asked_numbers_with_a_consistent_ledger():
    out = StringIO()
    call_command(
        "seed",
        "--categories=3",
        "--products=40",
        "--customers=25",
        "--orders=300",
        "--days=20",
        stdout=out,
    )
    assert (Category.objects.count(), Product.objects.count()) == (3, 40)
    assert (Customer.objects.count(), Order.objects.count()) == (25, 300)
    assert OrderItem.objects.count() >= 300
    assert stock_reconcile() == [] and order_stock_reconcile() == []
    assert rollups_check() == []  # seed writes around the services, then rebuilds the rollups
    assert DailyOrderRollup.objects.aggregate(n=Sum("orders"))["n"] == 300
    assert set(Order.objects.values_list("status", flat=True)) == {s.value for s in OrderStatus}
    assert "Seeded 3 categories, 40 products, 25 customers, 300 orders" in out.getvalue()
    # One block of numbers; orders placed through the app later continue after it.
    numbers = sorted(int(number[4:]) for number in Order.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + 300))
    assert order_numbers_last() == numbers[-1]
    assert int(order_next_number()[4:]) == numbers[-1] + 1


def test_seed_is_deterministic_for_a_seed():
    def seeded() -> list[tuple]:
        call_command(
            "seed", "--products=10", "--customers=5", "--orders=50", "--seed=9", stdout=StringIO()
        )
        rows = Order.objects.order_by("number").values_list(
            "number", "status", "total", "item_count", "customer__email"
        )
        # The numbers themselves continue where the last ones ended (database sequence).
        start = int(rows[0][0][4:])
        return [(int(number[4:]) - start, *rest) for number, *rest in rows]

    with transaction.atomic():  # the first run is rolled back: start over on an empty store
        first = seeded()
        transaction.set_rollback(True)
    assert not Order.objects.exists() and not Product.objects.exists()
    second = seeded()
    assert len(first) == 50 and first == second


def test_seed_refuses_a_database_with_real_data_unless_forced():
    make_product("REAL-1", stock=2)
    with pytest.raises(CommandError, match="real data"):
        call_command("seed", "--orders=5", stdout=StringIO())
    assert Order.objects.count() == 0
    call_command(
        "seed", "--products=5", "--customers=5", "--orders=5", "--force", stdout=StringIO()
    )
    assert Order.objects.count() == 5
    assert stock_reconcile() == [] and order_stock_reconcile() == []
