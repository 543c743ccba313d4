"""The catalog's API: products (list, detail, upsert, bulk) and stock (levels, moves, ledger)."""

from decimal import Decimal

import pytest

from catalog.models import Product, StockMovement
from catalog.services import stock_reconcile
from catalog.tests.factories import ledger_total, make_category, make_product

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


@pytest.fixture
def shoes():
    return make_category("Shoes", "shoes")


def item(sku: str, **extra) -> dict:
    return {"sku": sku, "name": f"Product {sku}", "category": "shoes", "price": "9.50",
            "is_active": True, **extra}  # fmt: skip


def snapshot() -> tuple:
    return (
        sorted(Product.objects.values_list("sku", "name", "price", "stock")),
        StockMovement.objects.count(),
        Product.history.count(),
    )


def test_products_list_filters_and_cursor_pages_in_update_order(api, shoes):
    hats = make_category("Hats", "hats")
    first = make_product("A-1", category=shoes)
    make_product("A-2", category=hats, is_active=False)
    make_product("A-3", category=shoes)
    page = api.get(PRODUCTS, {"page_size": 2}).json()
    assert [p["sku"] for p in page["results"]] == ["A-1", "A-2"]
    rest = api.get(page["next"]).json()
    assert [p["sku"] for p in rest["results"]] == ["A-3"] and rest["next"] is None
    assert [p["sku"] for p in api.get(PRODUCTS, {"category": "hats"}).json()["results"]] == ["A-2"]
    active = api.get(PRODUCTS, {"is_active": "false"}).json()["results"]
    assert [p["sku"] for p in active] == ["A-2"]
    assert api.get(PRODUCTS, {"sku": "a-1"}).json()["results"][0]["sku"] == "A-1"
    since = first.updated_at.isoformat()
    assert len(api.get(PRODUCTS, {"updated_since": since}).json()["results"]) == 3
    bad = api.get(PRODUCTS, {"updated_since": "yesterday"})
    assert bad.status_code == 400 and "updated_since" in bad.json()


def test_product_get_returns_an_etag_and_404_names_the_sku(api, shoes):
    make_product("MUG", category=shoes, stock=4, price="8.00")
    response = api.get(PRODUCTS + "mug/")
    assert response.status_code == 200
    assert response.json()["sku"] == "MUG" and response.json()["stock"] == 4
    assert response.json()["price"] == "8.00"
    assert response["ETag"].startswith('"')
    missing = api.get(PRODUCTS + "NOPE/")
    assert missing.status_code == 404 and "NOPE" in missing.json()["detail"]


def test_product_put_creates_then_replaces_with_stock_through_the_ledger(api, shoes):
    created = api.put(PRODUCTS + "NEW-1/", item("NEW-1", stock=7), format="json")
    assert created.status_code == 201, created.json()
    product = Product.objects.get(sku="NEW-1")
    assert product.stock == 7 == ledger_total(product)
    history = product.history.earliest()
    assert history.history_user == api.user
    assert history.history_change_reason.startswith("api:")
    replaced = api.put(PRODUCTS + "new-1/", item("NEW-1", name="Renamed", stock=5), format="json")
    assert replaced.status_code == 200
    product.refresh_from_db()
    assert (product.name, product.stock, ledger_total(product)) == ("Renamed", 5, 5)
    assert product.movements.first().created_by == api.user
    assert stock_reconcile() == []


def test_product_put_errors_are_the_import_messages_by_field_and_nothing_is_written(api, shoes):
    before = snapshot()
    response = api.put(
        PRODUCTS + "BAD-1/", item("BAD-1", price="-1", category="nope"), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "price": ["Must be 0 or more, got -1."],
        "category": ["Unknown category 'nope'."],
    }
    missing = api.put(PRODUCTS + "BAD-2/", {"name": "x"}, format="json")
    assert missing.status_code == 400
    assert missing.json()["price"] == ["This field is required."]
    assert snapshot() == before


def test_product_patch_changes_only_what_is_sent_and_honours_if_match(api, shoes):
    make_product("MUG", category=shoes, stock=3, price="8.00", description="Blue")
    etag = api.get(PRODUCTS + "MUG/")["ETag"]
    changed = api.patch(PRODUCTS + "MUG/", {"price": "9.00"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200, changed.json()
    assert changed.json()["price"] == "9.00" and changed.json()["description"] == "Blue"
    assert changed["ETag"] != etag
    before = snapshot()
    stale = api.patch(PRODUCTS + "MUG/", {"price": "1.00"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert snapshot() == before
    assert api.patch(PRODUCTS + "GONE/", {"price": "1.00"}, format="json").status_code == 404


def test_product_bulk_upserts_all_or_nothing_with_errors_by_index(api, shoes):
    make_product("OLD", category=shoes, stock=2)
    ok = api.post(
        PRODUCTS + "bulk/",
        [item("OLD", stock=10), item("B-1", stock=1), item("B-2", stock=0)],
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["created"] == 2 and ok.json()["updated"] == 1
    assert Product.objects.get(sku="OLD").stock == 10
    before = snapshot()
    bad = api.post(
        PRODUCTS + "bulk/",
        [item("C-1", cost=None), item("C-2", price="abc", cost=1), item("C-3", cost="-1")],
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "1": {"price": ["'abc' is not a number (use a dot: 19.99)."]},
        "2": {"cost": ["Must be 0 or more, got -1."]},
    }
    unknown = api.post(PRODUCTS + "bulk/", [item("C-1"), item("C-3", colour="red")])
    assert unknown.json() == {"1": {"colour": ["Unknown field."]}}
    assert snapshot() == before
    too_many = api.post(PRODUCTS + "bulk/", [item("X")] * 3, format="json")
    assert too_many.status_code == 400  # a SKU given twice
    assert "appears twice" in str(too_many.json())
    assert snapshot() == before


def test_product_bulk_limit(api, shoes, settings):
    settings.API_BULK_MAX_ITEMS = 2
    response = api.post(PRODUCTS + "bulk/", [item("A"), item("B"), item("C")], format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["At most 2 items per request (got 3)."]}


def test_stock_levels_get_and_set_after_a_count(api, shoes):
    make_product("A", category=shoes, stock=5)
    make_product("B", category=shoes, stock=1)
    levels = api.get("/api/v1/stock/", {"sku": ["a", "B", "nope"]}).json()
    assert levels == [{"sku": "A", "stock": 5}, {"sku": "B", "stock": 1}]
    response = api.post(
        "/api/v1/stock/levels/", [{"sku": "A", "stock": 5}, {"sku": "b", "stock": 9}]
    )
    assert response.status_code == 200, response.json()
    assert response.json()["changed"] == 1 and response.json()["unchanged"] == 1
    movement = StockMovement.objects.get(product__sku="B", reason="count")
    assert (movement.quantity, movement.balance, movement.created_by) == (8, 9, api.user)
    before = snapshot()
    bad = api.post(
        "/api/v1/stock/levels/",
        [{"sku": "A", "stock": 1}, {"sku": "Z", "stock": 1}, {"sku": "B", "stock": -1}],
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "1": {"sku": ["Unknown product 'Z'."]},
        "2": {"stock": ["Must be between 0 and 1,000,000,000."]},
    }
    assert snapshot() == before


def test_stock_levels_of_a_product_deleted_meanwhile_set_nothing(api, shoes, monkeypatch):
    from catalog import api as catalog_api

    make_product("A", category=shoes, stock=5)
    gone = make_product("GONE", category=shoes, stock=0)
    lookup = catalog_api.products_by_sku
    gone_pk = gone.pk

    def lookup_then_delete(skus):
        found = lookup(skus)
        Product.objects.filter(pk=gone_pk).delete()  # after the lookup, before the locks
        return found

    monkeypatch.setattr(catalog_api, "products_by_sku", lookup_then_delete)
    movements = StockMovement.objects.count()
    response = api.post(
        "/api/v1/stock/levels/", [{"sku": "A", "stock": 7}, {"sku": "GONE", "stock": 3}]
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["A product was deleted meanwhile. Nothing was set."]
    }
    assert Product.objects.get(sku="A").stock == 5
    assert StockMovement.objects.count() == movements


def test_stock_adjustment_writes_one_ledger_row_or_409(api, shoes):
    product = make_product("A", category=shoes, stock=3)
    response = api.post(
        "/api/v1/stock/adjustments/",
        {"sku": "a", "quantity": -2, "reason": "adjustment", "note": "broken", "reference": "r1"},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["balance"] == 1 and response.json()["created_by"] == api.user.username
    product.refresh_from_db()
    assert product.stock == 1 == ledger_total(product)
    before = snapshot()
    short = api.post("/api/v1/stock/adjustments/", {"sku": "A", "quantity": -5})
    assert short.status_code == 409
    assert short.json()["code"] == "insufficient_stock"
    assert (short.json()["sku"], short.json()["asked"], short.json()["available"]) == ("A", 5, 1)
    assert snapshot() == before
    zero = api.post("/api/v1/stock/adjustments/", {"sku": "A", "quantity": 0})
    assert zero.json() == {"quantity": ["Enter a quantity other than 0."]}


def test_stock_movements_cursor_and_filters(api, shoes):
    make_product("A", category=shoes, stock=3)
    make_product("B", category=shoes, stock=4)
    rows = api.get("/api/v1/stock/movements/", {"sku": "B"}).json()["results"]
    assert [(r["sku"], r["quantity"]) for r in rows] == [("B", 4)]
    page = api.get("/api/v1/stock/movements/", {"page_size": 1}).json()
    assert page["results"][0]["sku"] == "A"
    assert api.get(page["next"]).json()["results"][0]["sku"] == "B"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("put", PRODUCTS + "R-1/", item("R-1")),
        ("post", PRODUCTS + "bulk/", [item("R-1")]),
        ("post", "/api/v1/stock/levels/", [{"sku": "A", "stock": 1}]),
        ("post", "/api/v1/stock/adjustments/", {"sku": "A", "quantity": 1}),
    ],
)
def test_read_only_token_cannot_write_the_catalog(api_for, shoes, method, path, body):
    make_product("A", category=shoes, stock=3)
    client = api_for("Read-only")
    before = snapshot()
    assert getattr(client, method)(path, body, format="json").status_code == 403
    assert client.get(PRODUCTS).status_code == 200
    assert snapshot() == before


def test_price_decimals_are_kept_exactly(api, shoes):
    api.put(PRODUCTS + "D/", item("D", price=19.99), format="json")
    assert Product.objects.get(sku="D").price == Decimal("19.99")


def test_nul_in_a_json_body_is_a_400_naming_the_field(api, shoes):
    response = api.post(
        PRODUCTS + "bulk/", [item("N-1"), item("N-2", name="a\x00b")], format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"1": {"name": ["Contains a NUL character."]}}
    assert not Product.objects.filter(sku__startswith="N-").exists()


@pytest.mark.parametrize("since", ["6130-02-22T22:25:44-16:59", "0001-01-01T00:00:00+21:25"])
def test_updated_since_with_any_offset_is_read_in_utc_or_refused(api, since):
    response = api.get(PRODUCTS, {"updated_since": since})
    assert response.status_code in (200, 400)
    orders = api.get("/api/v1/orders/", {"updated_since": since})
    assert orders.status_code == response.status_code


@pytest.mark.parametrize(
    "path", [PRODUCTS, "/api/v1/stock/", "/api/v1/orders/", "/api/v1/customers/"]
)
def test_an_unknown_format_in_the_query_string_is_404_not_500(api, path):
    response = api.get(path, {"format": "xml"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"a":' * 5000 + "1" + "}" * 5000])
def test_deeply_nested_json_is_a_400_and_writes_nothing(api, shoes, body):
    before = snapshot()
    response = api.post(PRODUCTS + "bulk/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert snapshot() == before


@pytest.mark.parametrize("sku", ["PAD-1%20", "%20PAD-1", "PAD-1%09", "NEW-%C3%9F-2", "%EF%AC%81-1"])
def test_put_to_a_sku_the_import_would_change_or_refuse_is_a_400_writing_nothing(api, shoes, sku):
    # Spaces around it, "ß" (Python uppercases it to "SS", PostgreSQL keeps it), "ﬁ": the
    # address would name another SKU than the one written. Before, the write was kept and
    # the answer was a 500.
    make_product("PAD-1", category=shoes)
    before = snapshot()
    body = {k: v for k, v in item("X", name="Spacey").items() if k != "sku"}
    response = api.put(PRODUCTS + sku + "/", body, format="json")
    assert response.status_code == 400
    assert "A SKU is letters A-Z, digits and punctuation" in response.json()["sku"][0]
    assert snapshot() == before


def test_bulk_refuses_skus_with_accents_or_spaces_by_item(api, shoes):
    before = snapshot()
    response = api.post(
        PRODUCTS + "bulk/", [item("OK-1"), item("ACC-É"), item("IN SIDE")], format="json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"1", "2"}
    assert "'É' in 'ACC-É'" in errors["1"]["sku"][0]
    assert "a space in 'IN SIDE'" in errors["2"]["sku"][0]
    assert snapshot() == before


@pytest.mark.parametrize("path", [PRODUCTS + "bulk/", "/api/v1/stock/levels/"])
def test_a_lone_surrogate_in_a_json_body_is_a_400_naming_the_field(api, shoes, path):
    body = '[{"sku": "BULK-\\ud800", "stock": 3}]'
    before = snapshot()
    response = api.generic("POST", path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "0": {"sku": ["Contains a character that is not text (a lone UTF-16 surrogate)."]}
    }
    assert snapshot() == before


def test_true_is_not_a_price_or_a_stock_level(api, shoes):
    before = snapshot()
    response = api.post(
        PRODUCTS + "bulk/",
        [item("T-1", price=True, stock=1), item("T-2", stock=True)],
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "0": {"price": ["Must be a number or a text, not true/false."]},
        "1": {"stock": ["Must be a number or a text, not true/false."]},
    }
    assert snapshot() == before
