"""The product admin: list, filters, search, large lists, add/change pages, actions."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.admin.products import ProductAdmin
from catalog.models import Product, StockMovement
from catalog.services import stock_reconcile
from catalog.tests.factories import ledger_total, make_category, make_product
from foundation.admin import base
from foundation.admin.paginator import CappedCountPaginator

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


@pytest.mark.django_db(transaction=True)  # committed: see the next test
def test_product_changelist_search_words_across_name_and_category(admin_client_super):
    shoes = make_category("Shoes", "shoes")
    make_product("RUN-1", name="Red runner", category=shoes)
    make_product("HAT-1", name="Red hat", category=make_category("Hats", "hats"))
    assert listed(admin_client_super.get(CHANGELIST, {"q": "red shoes"})) == ["RUN-1"]


# Committed data: MariaDB's FULLTEXT index sees rows only once their transaction commits.
@pytest.mark.django_db(transaction=True)
def test_product_search_finds_what_djangos_default_search_found(rf, superuser):
    shoes = make_category("Shoes", "shoes")
    make_product("RUN-1", name="Red runner", category=shoes)
    make_product("HAT-1", name="Red hat", category=make_category("Hats", "hats"))
    request = rf.get("/")
    request.user = superuser
    model_admin = admin.site._registry[Product]
    for term in ("red shoes", "run-1", "hat"):
        ours, _ = model_admin.get_search_results(request, Product.objects.all(), term)
        django, _ = admin.ModelAdmin.get_search_results(
            model_admin, request, Product.objects.all(), term
        )
        assert set(ours) == set(django) and ours.exists(), term


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_product_name_search_uses_the_fulltext_index_on_mysql(rf, superuser):
    make_product("RUN-1", name="Red runner")
    request = rf.get("/")
    request.user = superuser
    model_admin = admin.site._registry[Product]
    with CaptureQueriesContext(connection) as queries:
        found, _ = model_admin.get_search_results(request, Product.objects.all(), "runn")
        assert [p.sku for p in found] == ["RUN-1"]  # a word start, through the index
    [match] = [q["sql"] for q in queries if "MATCH (" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {match}")
        plans = cursor.fetchall()
    assert any("product_name_ft" in str(plan) for plan in plans), plans


# Large lists: capped counts, keys-first pages, "select all" cap -----------------------------


@pytest.fixture
def five_products():
    category = make_category()
    return [make_product(f"P-{n}", category=category) for n in range(5)]


def test_product_changelist_count_is_capped_and_shown_as_more_than(
    admin_client_super, five_products, monkeypatch
):
    monkeypatch.setattr(CappedCountPaginator, "max_rows", 3)
    response = admin_client_super.get(CHANGELIST, {"is_active__exact": 1})
    paginator = response.context["cl"].paginator
    assert (paginator.capped, paginator.count, paginator.display_count) == (True, 3, "more than 3")
    assert "pages show the first 3" in response.content.decode()


def test_product_changelist_count_below_the_cap_is_exact(admin_client_super, five_products):
    response = admin_client_super.get(CHANGELIST)
    assert response.context["cl"].paginator.display_count == "5"
    assert response.context["cl"].result_count == 5


def test_product_changelist_later_pages_load_by_keys_in_the_right_order(
    admin_client_super, five_products, monkeypatch
):
    monkeypatch.setattr(ProductAdmin, "list_per_page", 2)
    page = admin_client_super.get(CHANGELIST, {"p": 2})
    assert [p.sku for p in page.context["cl"].result_list] == ["P-2", "P-3"]
    last = admin_client_super.get(CHANGELIST, {"p": 3})
    assert [p.sku for p in last.context["cl"].result_list] == ["P-4"]


def test_product_changelist_later_pages_match_plain_slicing_in_every_order(
    admin_client_super, monkeypatch
):
    """Keys-first pages show the same rows, in the same order, as OFFSET slicing."""
    monkeypatch.setattr(ProductAdmin, "list_per_page", 10)
    categories = [make_category() for _ in range(3)]
    for n in range(27):  # ties in every column but the SKU
        make_product(
            f"S-{n:04d}",
            category=categories[n % 3],
            price=("5.00", "10.00", "20.00")[n % 3 // 2 + n % 2],
            stock=(0, 3, 50)[n % 3],
        )
    for column in range(1, 9):
        for sign in ("", "-"):
            response = admin_client_super.get(CHANGELIST, {"o": f"{sign}{column}", "p": "2"})
            cl = response.context["cl"]
            shown = [p.pk for p in cl.result_list]
            assert len(shown) == 10
            assert shown == [p.pk for p in cl.queryset[10:20]], f"o={sign}{column}"


@pytest.mark.parametrize("select_across", ["1", "on", "yes", "TRUE"])
def test_product_action_select_all_refused_above_the_cap(
    admin_client_super, five_products, monkeypatch, select_across
):
    monkeypatch.setattr(base, "MAX_ROWS", 3)
    response = run_action(
        admin_client_super, "deactivate_products", five_products[:1], select_across=select_across
    )
    assert any("at most 3 rows at once" in t for t in messages_of(response))
    assert Product.objects.filter(is_active=True).count() == 5


def test_product_action_select_all_allowed_below_the_cap(admin_client_super, five_products):
    run_action(admin_client_super, "deactivate_products", five_products[:1], select_across="1")
    assert Product.objects.filter(is_active=True).count() == 0


# Add / change pages -------------------------------------------------------------------------


def test_product_add_with_initial_stock_writes_ledger_row(admin_client_super, superuser):
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
            "images-TOTAL_FORMS": 0,
            "images-INITIAL_FORMS": 0,
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


def test_product_change_page_shows_ledger_and_history_records_user(admin_client_super, superuser):
    product = make_product("LEDGER-1", stock=4)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    page = admin_client_super.get(url)
    assert page.status_code == 200
    assert "Stock ledger" in page.content.decode()
    # Each ledger row is its own columns; no title line with the product's database id.
    movement = product.movements.get()
    assert str(movement) not in page.content.decode()
    response = admin_client_super.post(
        url,
        {
            "sku": product.sku,
            "name": "Renamed",
            "category": product.category_id,
            "price": "11.00",
            "low_stock_threshold": 5,
            "is_active": "on",
            "images-TOTAL_FORMS": 0,
            "images-INITIAL_FORMS": 0,
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


def test_product_deactivate_and_activate_actions_write_history(admin_client_super, superuser):
    a, b = make_product(), make_product()
    response = run_action(admin_client_super, "deactivate_products", [a, b])
    assert "2 product(s) deactivated." in messages_of(response)
    assert Product.objects.filter(is_active=False).count() == 2
    assert a.history.latest().history_user == superuser
    run_action(admin_client_super, "activate_products", [a])
    assert Product.objects.get(pk=a.pk).is_active is True


def test_product_change_price_action_asks_then_changes_prices(admin_client_super, superuser):
    a, b = make_product(price="10.00"), make_product(price="19.99")
    form = run_action(admin_client_super, "change_price", [a, b])
    assert b'name="percent"' in form.content
    assert Product.objects.get(pk=a.pk).price == Decimal("10.00")  # the form alone changes nothing

    response = run_action(admin_client_super, "change_price", [a, b], apply=1, percent="-10")
    assert "Price changed by -10% on 2 product(s)." in messages_of(response)
    assert Product.objects.get(pk=a.pk).price == Decimal("9.00")
    assert Product.objects.get(pk=b.pk).price == Decimal("17.99")
    assert a.history.latest().history_user == superuser


def test_product_change_price_action_rejects_invalid_percent(admin_client_super):
    product = make_product(price="10.00")
    response = run_action(admin_client_super, "change_price", [product], apply=1, percent="-100")
    assert (
        response.status_code == 200
        and "greater than or equal to -99.99" in response.content.decode()
    )
    assert Product.objects.get(pk=product.pk).price == Decimal("10.00")


def test_product_adjust_stock_action_writes_ledger_rows(admin_client_super, superuser):
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


def test_product_adjust_stock_action_below_zero_for_one_changes_none(admin_client_super):
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


def test_product_actions_all_allowed_for_catalog_managers(client_for, make_staff):
    product = make_product(stock=5, price="10.00")
    client = client_for(make_staff("Catalog managers"))
    run_action(client, "adjust_stock", [product], apply=1, quantity=-5, reason="adjustment")
    run_action(client, "change_price", [product], apply=1, percent="50")
    run_action(client, "deactivate_products", [product])
    product.refresh_from_db()
    assert (product.is_active, product.price, product.stock) == (False, Decimal("15.00"), 0)


# Numbers out of range: a form error or a message, never a 500 -----------------------------


@pytest.mark.parametrize("quantity", ["3000000000", "-3000000000"])
def test_product_adjust_stock_beyond_the_largest_move_is_a_form_error(admin_client_super, quantity):
    product = make_product("BIG-1", stock=5)
    response = run_action(
        admin_client_super,
        "adjust_stock",
        [product],
        apply=1,
        quantity=quantity,
        reason="adjustment",
    )
    assert response.status_code == 200
    assert "1000000000" in str(response.context["form"].errors["quantity"])
    assert Product.objects.get(pk=product.pk).stock == 5


def test_product_adjust_stock_above_the_largest_stock_is_a_message(admin_client_super):
    product = make_product("BIG-2", stock=5)
    response = run_action(
        admin_client_super, "adjust_stock", [product], apply=1, quantity="1000000000",
        reason="adjustment",
    )  # fmt: skip
    assert "BIG-2: a stock of 1,000,000,005 is more than the 1,000,000,000" in " ".join(
        messages_of(response)
    )
    assert Product.objects.get(pk=product.pk).stock == 5
    assert product.movements.count() == 1


def test_product_add_with_an_initial_stock_beyond_range_is_a_form_error(admin_client_super):
    category = make_category()
    response = admin_client_super.post(
        reverse("admin:catalog_product_add"),
        {
            "sku": "BIG-3",
            "name": "Big",
            "category": category.pk,
            "price": "1.00",
            "low_stock_threshold": 5,
            "is_active": "on",
            "initial_stock": "3000000000",
            "images-TOTAL_FORMS": 0,
            "images-INITIAL_FORMS": 0,
            "movements-TOTAL_FORMS": 0,
            "movements-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "initial_stock" in response.context["adminform"].form.errors
    assert not Product.objects.filter(sku="BIG-3").exists()


def test_product_change_price_above_the_largest_price_is_a_message(admin_client_super):
    top = make_product("TOP-1", price="99999999.99")
    cheap = make_product("LOW-1", price="1.00")
    response = run_action(admin_client_super, "change_price", [top, cheap], apply=1, percent="1000")
    text = " ".join(messages_of(response))
    assert "TOP-1: +1000% would make its price 1,099,999,999.89" in text
    assert "prices are at most 99,999,999.99" in text
    prices = dict(Product.objects.values_list("sku", "price"))
    assert prices == {"TOP-1": Decimal("99999999.99"), "LOW-1": Decimal("1.00")}
