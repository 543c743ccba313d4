from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Product, StockMovement
from catalog.services import stock_reconcile
from catalog.tests.factories import ledger_total, make_category, make_product

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:catalog_product_changelist")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def run_action(client, action: str, products, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [p.pk for p in products], "index": 0, **extra}
    return client.post(CHANGELIST, data, follow=True)


def listed(response) -> list[str]:
    return [p.sku for p in response.context["cl"].result_list]


# Changelist ---------------------------------------------------------------------------------


def test_product_changelist_shows_stock_states(admin_client_super):
    make_product("OUT-1")
    make_product("LOW-1", stock=3)
    make_product("IN-1", stock=50)
    body = admin_client_super.get(CHANGELIST).content.decode()
    assert "0 · Out of stock" in body and "3 · Low stock" in body and "50 · In stock" in body


@pytest.mark.parametrize(
    ("state", "expected"), [("out", ["OUT-1"]), ("low", ["LOW-1"]), ("in", ["IN-1"])]
)
def test_product_changelist_filters_by_stock_state(admin_client_super, state, expected):
    make_product("OUT-1")
    make_product("LOW-1", stock=5)  # exactly at the threshold counts as low
    make_product("IN-1", stock=6)
    response = admin_client_super.get(CHANGELIST, {"stock_state": state})
    assert listed(response) == expected


def test_product_changelist_filters_by_price_range_and_category(admin_client_super):
    shoes = make_category("Shoes", "shoes")
    make_product("A", price="5.00", category=shoes)
    make_product("B", price="50.00", category=shoes)
    make_product("C", price="50.00")
    response = admin_client_super.get(
        CHANGELIST, {"price_from": "10", "price_to": "100", "category__id__exact": shoes.pk}
    )
    assert listed(response) == ["B"]


def test_product_changelist_search_by_sku_prefix_name_and_category(admin_client_super):
    make_product("TSHIRT-RED-M", name="Red shirt", category=make_category("Tops", "tops"))
    make_product("MUG-1", name="Mug")
    assert listed(admin_client_super.get(CHANGELIST, {"q": "tshirt-red"})) == ["TSHIRT-RED-M"]
    assert listed(admin_client_super.get(CHANGELIST, {"q": "RED-M"})) == []  # not a prefix
    assert listed(admin_client_super.get(CHANGELIST, {"q": "mug"})) == ["MUG-1"]
    assert listed(admin_client_super.get(CHANGELIST, {"q": "tops"})) == ["TSHIRT-RED-M"]


def test_product_changelist_query_count_does_not_grow_with_rows(admin_client_super):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client_super.get(CHANGELIST, {"o": "1"}).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(10):
        make_product(stock=1)
    ten = count_queries()
    for _ in range(40):
        make_product(stock=1)
    fifty = count_queries()
    assert ten == fifty


# Add / change pages -------------------------------------------------------------------------


def test_add_product_with_initial_stock_writes_ledger_row(admin_client_super, superuser):
    category = make_category()
    response = admin_client_super.post(
        reverse("admin:catalog_product_add"),
        {
            "sku": "NEW-1",
            "name": "New thing",
            "category": category.pk,
            "price": "12.50",
            "low_stock_threshold": 5,
            "is_active": "on",
            "initial_stock": 8,
            "movements-TOTAL_FORMS": 0,
            "movements-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    product = Product.objects.get(sku="NEW-1")
    assert product.stock == 8
    movement = product.movements.get()
    assert (movement.reason, movement.quantity, movement.created_by) == ("initial", 8, superuser)
    assert product.history.get().history_user == superuser


def test_change_page_shows_ledger_and_history_records_user(admin_client_super, superuser):
    product = make_product("LEDGER-1", stock=4)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    page = admin_client_super.get(url)
    assert page.status_code == 200
    assert "Stock ledger" in page.content.decode()
    response = admin_client_super.post(
        url,
        {
            "sku": product.sku,
            "name": "Renamed",
            "category": product.category_id,
            "price": "11.00",
            "low_stock_threshold": 5,
            "is_active": "on",
            "movements-TOTAL_FORMS": 1,
            "movements-INITIAL_FORMS": 1,
        },
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.price, product.stock) == ("Renamed", Decimal("11.00"), 4)
    latest = product.history.latest()
    assert latest.history_user == superuser
    delta = latest.diff_against(latest.prev_record)
    assert {c.field for c in delta.changes} == {"name", "price"}
    history_page = admin_client_super.get(
        reverse("admin:catalog_product_history", args=[product.pk])
    )
    assert history_page.status_code == 200 and "Renamed" in history_page.content.decode()


# Actions ------------------------------------------------------------------------------------


def test_deactivate_and_activate_products_write_history(admin_client_super, superuser):
    a, b = make_product(), make_product()
    response = run_action(admin_client_super, "deactivate_products", [a, b])
    assert "2 product(s) deactivated." in messages_of(response)
    assert Product.objects.filter(is_active=False).count() == 2
    assert a.history.latest().history_user == superuser
    run_action(admin_client_super, "activate_products", [a])
    assert Product.objects.get(pk=a.pk).is_active is True


def test_change_price_action_asks_then_changes_prices(admin_client_super, superuser):
    a, b = make_product(price="10.00"), make_product(price="19.99")
    form = run_action(admin_client_super, "change_price", [a, b])
    assert b'name="percent"' in form.content
    assert Product.objects.get(pk=a.pk).price == Decimal("10.00")  # the form alone changes nothing

    response = run_action(admin_client_super, "change_price", [a, b], apply=1, percent="-10")
    assert "Price changed by -10% on 2 product(s)." in messages_of(response)
    assert Product.objects.get(pk=a.pk).price == Decimal("9.00")
    assert Product.objects.get(pk=b.pk).price == Decimal("17.99")
    assert a.history.latest().history_user == superuser


def test_change_price_action_rejects_invalid_percent(admin_client_super):
    product = make_product(price="10.00")
    response = run_action(admin_client_super, "change_price", [product], apply=1, percent="-100")
    assert (
        response.status_code == 200
        and "greater than or equal to -99.99" in response.content.decode()
    )
    assert Product.objects.get(pk=product.pk).price == Decimal("10.00")


def test_adjust_stock_action_writes_ledger_rows(admin_client_super, superuser):
    a, b = make_product(stock=5), make_product(stock=1)
    response = run_action(
        admin_client_super,
        "adjust_stock",
        [a, b],
        apply=1,
        quantity=3,
        reason="count",
        note="recount",
    )
    assert "Stock adjusted by +3 on 2 product(s)." in messages_of(response)
    a.refresh_from_db()
    assert a.stock == 8 and ledger_total(a) == 8
    move = a.movements.latest("id")
    assert (move.reason, move.note, move.created_by) == ("count", "recount", superuser)


def test_adjust_stock_action_refuses_going_below_zero_for_all(admin_client_super):
    a, b = make_product(stock=5), make_product("SHORT-1", stock=1)
    response = run_action(
        admin_client_super, "adjust_stock", [a, b], apply=1, quantity=-2, reason="adjustment"
    )
    assert any(
        "Not enough stock for SHORT-1" in m
        and "asked 2, available 1" in m
        and "No stock was changed" in m
        for m in messages_of(response)
    )
    assert [p.stock for p in Product.objects.order_by("pk")] == [5, 1]
    assert StockMovement.objects.count() == 2
    assert stock_reconcile() == []


@pytest.mark.parametrize("action", ["deactivate_products", "change_price", "adjust_stock"])
@pytest.mark.parametrize("role", ["Fulfilment", "Customer support", "Read-only"])
def test_product_actions_refused_for_roles_without_permission(client_for, make_staff, role, action):
    product = make_product(stock=5, price="10.00")
    client = client_for(make_staff(role))
    response = run_action(
        client, action, [product], apply=1, percent="50", quantity="-5", reason="adjustment"
    )
    # These roles only view products: the action is not offered, and a forged POST of it
    # just shows the list again.
    assert response.status_code == 200
    assert not any("product(s)" in m for m in messages_of(response))
    action_form = response.context["action_form"]  # None: no action is offered at all
    assert action_form is None or action not in dict(action_form.fields["action"].choices)
    product.refresh_from_db()
    assert (product.is_active, product.price, product.stock) == (True, Decimal("10.00"), 5)


def test_catalog_manager_can_run_every_product_action(client_for, make_staff):
    product = make_product(stock=5, price="10.00")
    client = client_for(make_staff("Catalog managers"))
    run_action(client, "adjust_stock", [product], apply=1, quantity=-5, reason="adjustment")
    run_action(client, "change_price", [product], apply=1, percent="50")
    run_action(client, "deactivate_products", [product])
    product.refresh_from_db()
    assert (product.is_active, product.price, product.stock) == (False, Decimal("15.00"), 0)


# Ledger and categories ----------------------------------------------------------------------


def test_stock_movement_admin_is_read_only_for_everybody(admin_client_super):
    product = make_product(stock=2)
    movement = product.movements.get()
    assert (
        admin_client_super.get(reverse("admin:catalog_stockmovement_changelist")).status_code == 200
    )
    assert admin_client_super.get(reverse("admin:catalog_stockmovement_add")).status_code == 403
    url = reverse("admin:catalog_stockmovement_change", args=[movement.pk])
    admin_client_super.post(url, {"quantity": 100, "balance": 100, "reason": "adjustment"})
    delete = reverse("admin:catalog_stockmovement_delete", args=[movement.pk])
    assert admin_client_super.post(delete, {"post": "yes"}).status_code == 403
    movement.refresh_from_db()
    assert movement.quantity == 2


def test_stock_movement_admin_searches_sku_and_reference(admin_client_super):
    product = make_product("FIND-ME", stock=2)
    make_product("OTHER", stock=1)
    url = reverse("admin:catalog_stockmovement_changelist")
    response = admin_client_super.get(url, {"q": "FIND-ME"})
    assert [m.product_id for m in response.context["cl"].result_list] == [product.pk]


def test_category_changelist_counts_products(admin_client_super):
    shoes = make_category("Shoes", "shoes")
    make_product(category=shoes)
    make_product(category=shoes)
    response = admin_client_super.get(reverse("admin:catalog_category_changelist"))
    counts = {c.name: c.product_count for c in response.context["cl"].result_list}
    assert counts["Shoes"] == 2
