"""The orders' API: customers, orders, transitions, idempotency keys and ETag/If-Match."""

import pytest

from catalog.models import Product, StockMovement
from catalog.services import stock_reconcile
from catalog.tests.factories import make_product
from orders.models import Customer, Order, OrderEvent, OrderItem, OrderStatus
from orders.services import order_stock_reconcile
from orders.tests.factories import make_customer, make_order
from orders.tests.queries import expected

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
CUSTOMERS = "/api/v1/customers/"


@pytest.fixture
def products():
    return make_product("MUG", stock=10, price="8.00"), make_product("TEE", stock=5, price="20.00")


def world() -> tuple:
    """Everything a refused request must leave as it was."""
    return (
        Order.objects.count(),
        OrderItem.objects.count(),
        Customer.objects.count(),
        StockMovement.objects.count(),
        sorted(Product.objects.values_list("sku", "stock")),
        Order.history.count(),
        Customer.history.count(),
    )


def new_order(**extra) -> dict:
    return {
        "customer": "buyer@shop.test",
        "lines": [{"sku": "MUG", "quantity": 2}, {"sku": "tee", "quantity": 1, "unit_price": "15"}],
        "shipping_cost": "4.90",
        "discount": "1.00",
        **extra,
    }


def test_customers_create_list_get_and_patch_with_etag(api):
    created = api.post(CUSTOMERS, {"email": "New@Shop.test", "first_name": "N", "last_name": "C"})
    assert created.status_code == 201, created.json()
    customer = Customer.objects.get(email="new@shop.test")
    history = customer.history.get()
    assert (history.history_user, history.history_change_reason) == (api.user, "API")
    assert api.get(CUSTOMERS).json()["results"][0]["email"] == "new@shop.test"
    got = api.get(CUSTOMERS + "NEW@shop.test/")
    assert got.status_code == 200
    etag = got["ETag"]
    patched = api.patch(CUSTOMERS + "new@shop.test/", {"city": "Berlin"}, HTTP_IF_MATCH=etag)
    assert patched.status_code == 200 and patched.json()["city"] == "Berlin"
    stale = api.patch(CUSTOMERS + "new@shop.test/", {"city": "Paris"}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert Customer.objects.get(pk=customer.pk).city == "Berlin"
    duplicate = api.post(CUSTOMERS, {"email": "new@shop.test", "first_name": "x", "last_name": "y"})
    assert duplicate.status_code == 400
    assert duplicate.json() == {"email": ["A customer with this email already exists."]}
    bad = api.patch(CUSTOMERS + "new@shop.test/", {"country": "Germany"})
    assert bad.status_code == 400 and "country" in bad.json()
    assert api.get(CUSTOMERS + "nobody@shop.test/").status_code == 404


def test_order_create_moves_stock_once_with_history_by_the_api_user(api, products):
    make_customer("buyer@shop.test")
    response = api.post(ORDERS, new_order(external_reference="SHOP-1"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending" and body["external_reference"] == "SHOP-1"
    assert body["total"] == "34.90"  # 2 x 8.00 + 15.00 + 4.90 - 1.00
    assert response["ETag"] == f'"{body["version"]}"'
    assert [(line["sku"], line["unit_price"]) for line in body["lines"]] == [
        ("MUG", "8.00"),
        ("TEE", "15.00"),
    ]
    mug, tee = (Product.objects.get(sku=s) for s in ("MUG", "TEE"))
    assert (mug.stock, tee.stock) == (8, 4)
    order = Order.objects.get(number=body["number"])
    moves = StockMovement.objects.filter(reference=order.stock_reference)
    assert {m.created_by for m in moves} == {api.user} and moves.count() == 2
    history = order.history.get()
    assert (history.history_user, history.history_change_reason) == (api.user, "API")
    assert {h.history_change_reason for h in OrderItem.history.all()} == {"API"}
    assert stock_reconcile() == [] and order_stock_reconcile() == []
    got = api.get(ORDERS + body["number"] + "/")
    assert got.status_code == 200 and got["ETag"] == response["ETag"]


def test_order_create_with_a_new_customer_object_and_paid_status(api, products):
    response = api.post(
        ORDERS,
        new_order(
            customer={
                "email": "Fresh@Shop.test",
                "first_name": "F",
                "last_name": "S",
                "country": "FR",
            },
            status="paid",
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(email="fresh@shop.test")
    assert customer.history.get().history_change_reason == "API"
    assert Order.objects.get(customer=customer).status == OrderStatus.PAID
    again = api.post(
        ORDERS,
        new_order(customer={"email": "fresh@shop.test", "first_name": "x", "last_name": "y"}),
        format="json",
    )
    assert again.status_code == 201
    assert Customer.objects.filter(email="fresh@shop.test").count() == 1


def test_order_insufficient_stock_is_409_and_nothing_is_written(api, products):
    make_customer("buyer@shop.test")
    before = world()
    response = api.post(
        ORDERS,
        new_order(
            customer={"email": "new@shop.test", "first_name": "N", "last_name": "C"},
            lines=[{"sku": "MUG", "quantity": 1}, {"sku": "TEE", "quantity": 6}],
        ),
        format="json",
    )
    assert response.status_code == 409
    assert {k: response.json()[k] for k in ("code", "sku", "asked", "available")} == {
        "code": "insufficient_stock",
        "sku": "TEE",
        "asked": 6,
        "available": 5,
    }
    assert world() == before  # not even the new customer


def test_order_errors_name_lines_by_index_and_nothing_is_written(api, products):
    make_customer("buyer@shop.test")
    before = world()
    response = api.post(
        ORDERS,
        new_order(lines=[{"sku": "MUG", "quantity": 1}, {"sku": "MUG", "quantity": 0}]),
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "lines": {"1": {"quantity": ["Ensure this value is greater than or equal to 1."]}}
    }
    unknown = api.post(ORDERS, new_order(lines=[{"sku": "NOPE", "quantity": 1}]), format="json")
    assert unknown.json() == {"lines": {"0": {"sku": ["Unknown product 'NOPE'."]}}}
    no_customer = api.post(ORDERS, new_order(customer="ghost@shop.test"), format="json")
    assert no_customer.json() == {"customer": ["No customer with email 'ghost@shop.test'."]}
    discount = api.post(ORDERS, new_order(discount="1000"), format="json")
    assert discount.status_code == 400 and "discount" in str(discount.json())
    shipped = api.post(ORDERS, new_order(status="shipped"), format="json")
    assert shipped.status_code == 400
    assert world() == before


def test_order_external_reference_is_unique(api, products):
    make_customer("buyer@shop.test")
    first = api.post(ORDERS, new_order(external_reference="M-1"), format="json")
    before = world()
    second = api.post(ORDERS, new_order(external_reference="M-1"), format="json")
    assert second.status_code == 409
    assert second.json()["code"] == "duplicate_external_reference"
    assert second.json()["order"] == first.json()["number"]
    assert world() == before


def test_order_list_filters_and_cursor(api, products):
    mug, tee = products
    alice, bob = make_customer("alice@shop.test"), make_customer("bob@shop.test")
    first = make_order([(mug, 1)], customer=alice)
    make_order([(tee, 1)], customer=bob)
    page = api.get(ORDERS, {"page_size": 1}).json()
    assert page["results"][0]["number"] == first.number
    assert len(api.get(page["next"]).json()["results"]) == 1
    by_customer = api.get(ORDERS, {"customer": "BOB@shop.test"}).json()["results"]
    assert [o["customer"] for o in by_customer] == ["bob@shop.test"]
    assert api.get(ORDERS, {"status": "paid"}).json()["results"] == []
    assert api.get(ORDERS, {"status": "lost"}).status_code == 400


def test_transition_with_if_match_and_the_admins_permissions(api, api_for, products):
    mug, _ = products
    order = make_order([(mug, 3)])
    url = f"{ORDERS}{order.number}/transitions/"
    etag = api.get(f"{ORDERS}{order.number}/")["ETag"]
    fulfilment = api_for("Fulfilment")
    before = world()
    refused = fulfilment.post(url, {"to": "paid"}, HTTP_IF_MATCH=etag)
    assert refused.status_code == 403 and refused.json()["code"] == "transition_refused"
    assert api_for("Catalog managers").post(url, {"to": "paid"}).status_code == 403
    assert world() == before
    paid = api.post(url, {"to": "paid"}, HTTP_IF_MATCH=etag)
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert paid["ETag"] != etag
    assert order.history.latest().history_change_reason == "API"
    stale = api.post(url, {"to": "cancelled"}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert Order.objects.get(pk=order.pk).status == "paid"
    wrong = api.post(url, {"to": "delivered"})
    assert wrong.status_code == 409
    cancelled = api.post(url, {"to": "cancelled"}, HTTP_IF_MATCH=paid["ETag"])
    assert cancelled.status_code == 200
    assert Product.objects.get(sku="MUG").stock == 10  # given back
    assert stock_reconcile() == [] and order_stock_reconcile() == []
    assert api.post(f"{ORDERS}ORD-999999/transitions/", {"to": "paid"}).status_code == 404


def test_read_only_token_reads_orders_but_cannot_write(api_for, products):
    make_customer("buyer@shop.test")
    client = api_for("Read-only")
    before = world()
    assert client.get(ORDERS).status_code == 200
    assert client.post(ORDERS, new_order(), format="json").status_code == 403
    body = {"email": "x@shop.test", "first_name": "x", "last_name": "y"}
    assert client.post(CUSTOMERS, body).status_code == 403
    assert client.patch(CUSTOMERS + "buyer@shop.test/", {"city": "X"}).status_code == 403
    assert world() == before
    assert api_for("Catalog managers").get(ORDERS).status_code == 403


def test_unauthenticated_is_401(products):
    from rest_framework.test import APIClient

    response = APIClient().get(ORDERS)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


# Idempotency ---------------------------------------------------------------------------------


def test_same_key_same_body_replays_the_first_answer_and_writes_nothing(api, products):
    make_customer("buyer@shop.test")
    first = api.post(ORDERS, new_order(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    before = world()
    again = api.post(ORDERS, new_order(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201
    assert again.json() == first.json() and again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true"
    assert world() == before
    other = api.post(
        ORDERS, new_order(notes="different"), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert world() == before


def test_idempotency_keys_are_per_user(api, api_for, products):
    make_customer("buyer@shop.test")
    support = api_for("Customer support")
    assert api.post(ORDERS, new_order(), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    second = support.post(ORDERS, new_order(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    assert Order.objects.count() == 2


def test_a_refused_request_keeps_no_claim_so_a_corrected_retry_works(api, products):
    make_customer("buyer@shop.test")
    too_many = new_order(lines=[{"sku": "MUG", "quantity": 50}])
    assert api.post(ORDERS, too_many, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 409
    assert api.post(ORDERS, too_many, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 409
    fixed = api.post(ORDERS, new_order(), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert fixed.status_code == 201
    assert Order.objects.count() == 1


def test_idempotency_key_expires_after_the_kept_hours(api, products, settings):
    from datetime import timedelta

    from django.utils import timezone

    from backoffice.models import IdempotencyKey

    make_customer("buyer@shop.test")
    api.post(ORDERS, new_order(), format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert (
        api.post(ORDERS, new_order(), format="json", HTTP_IDEMPOTENCY_KEY="old").status_code == 201
    )
    assert Order.objects.count() == 2


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"external_reference": "SHOP-7", "status": "paid", "notes": "Gift wrap"},
        {"placed_at": "2026-03-01T09:30:15.123456+02:00", "shipping_cost": "4.9"},
        {
            "customer": {"email": "New@Shop.test", "first_name": "N", "last_name": "C"},
            "shipping_country": "FR",
            "shipping_city": "Lyon",
        },
    ],
)
def test_the_answer_to_a_new_order_is_what_reading_it_gives(api, products, extra):
    """The 201 body is made from memory (no read-back): it must equal the order's GET."""
    make_customer("buyer@shop.test", city="Berlin", country="DE")
    created = api.post(ORDERS, new_order(**extra), format="json")
    assert created.status_code == 201, created.json()
    got = api.get(ORDERS + created.json()["number"] + "/")
    assert got.status_code == 200
    assert created.json() == got.json()
    assert created["ETag"] == got["ETag"]


def test_order_create_queries_do_not_grow_with_lines(api, settings):
    """An API order of 1, 10 and 50 lines: the same queries, 11 on PostgreSQL."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The throttle's counter lives in the shared cache: Redis in production, the database
    # cache table in the tests. Counted here are the order's own queries.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    products = [make_product(f"Q{i:03d}", stock=100, price="2.50") for i in range(50)]
    make_customer("buyer@shop.test")
    api.get(ORDERS)  # the token's first use writes its last_used (once a minute)
    counts = []
    for lines in (1, 10, 50):
        body = {
            "customer": "buyer@shop.test",
            "lines": [{"sku": p.sku, "quantity": 1} for p in products[:lines]],
        }
        with CaptureQueriesContext(connection) as queries:
            response = api.post(ORDERS, body)
        assert response.status_code == 201, response.json()
        assert len(response.json()["lines"]) == lines
        counts.append(len(queries))
    # PostgreSQL: token, customer, products, number, order + history, lines + history,
    # lock, counters + ledger, rollups, BEGIN and COMMIT. Elsewhere each "+" is two
    # statements, and so are the rollups (orders.tests.queries.expected).
    assert counts[0] == counts[1] == counts[2] == expected(11), counts


def test_transition_takes_an_optional_reason_for_the_timeline(api, products):
    mug, _ = products
    order = make_order([(mug, 2)])
    url = f"{ORDERS}{order.number}/transitions/"
    body = {"to": "cancelled", "reason": "Customer ordered twice"}
    assert api.post(url, body, format="json").status_code == 200
    event = OrderEvent.objects.get(order=order)
    assert (event.from_status, event.to_status, event.text) == (
        "pending",
        "cancelled",
        "Customer ordered twice",
    )
    assert order.history.latest().history_change_reason == "API: Customer ordered twice"


@pytest.mark.parametrize("if_match", ['"\u00b2"', "\u00b2", 'W/"\u00b9\u00b2"'])
def test_an_if_match_of_digits_that_are_not_ascii_is_a_failed_precondition(api, products, if_match):
    # "²" is a digit to str.isdigit() but not to int(); Latin-1 carries it in a header.
    mug, _ = products
    order = make_order([(mug, 3)])
    before = world()
    response = api.post(
        f"{ORDERS}{order.number}/transitions/", {"to": "paid"}, HTTP_IF_MATCH=if_match
    )
    assert response.status_code == 412
    assert world() == before
