"""Ctrl+K (Unfold's command search): orders, customers and products, bounded, by role."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from backoffice.search import PER_KIND, search_callback
from catalog.tests.factories import make_product
from orders.tests.factories import make_customer, make_order

# Committed data: MariaDB's FULLTEXT index (product names) sees rows only once committed.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def store():
    mug = make_product("MUG-01", name="Enamel mug", stock=20, price="9.50")
    zoe = make_customer("zoe@shop.test", first_name="Zoe", last_name="Quill")
    order = make_order([(mug, 2)], customer=zoe)
    return mug, zoe, order


def search(user, term: str) -> list:
    request = RequestFactory().get("/admin/search/", {"s": term})
    request.user = user
    return search_callback(request, term.lower())  # Unfold lower-cases the term


def test_an_order_is_found_by_its_number_and_by_its_digits(store, superuser):
    _, _, order = store
    digits = str(int(order.number.removeprefix("ORD-")))
    for term in (order.number, digits):
        results = search(superuser, term)
        orders = [r for r in results if r.icon == "receipt_long"]
        assert [r.title for r in orders] == [order.number], term
        assert orders[0].link == reverse("admin:orders_order_change", args=[order.pk])
        assert "Pending · €19.00 · Zoe Quill" in orders[0].description


def test_customers_by_email_or_name_and_products_by_sku_or_name(store, superuser):
    _, zoe, _ = store
    for term in ("zoe@shop", "quill", "Zoe Quill"):
        links = [r.link for r in search(superuser, term)]
        assert reverse("admin:orders_customer_change", args=[zoe.pk]) in links, term
    for term in ("MUG-01", "mug-", "enamel"):
        results = [r for r in search(superuser, term) if r.icon == "inventory_2"]
        assert [r.title for r in results] == ["MUG-01 · Enamel mug"], term
        assert results[0].description == "Product · €9.50 · 18 in stock"


def test_each_kind_is_capped(superuser):
    for n in range(PER_KIND + 3):
        make_product(f"CUP-{n:02d}", name=f"Cup {n}")
    products = [r for r in search(superuser, "cup") if r.icon == "inventory_2"]
    assert len(products) == PER_KIND


def test_a_role_finds_only_what_it_may_view(store, make_staff):
    _, _, order = store
    catalog = make_staff("Catalog managers")  # no orders, no customers
    assert search(catalog, order.number) == []
    assert search(catalog, "zoe") == []
    assert [r.title for r in search(catalog, "mug-01")] == ["MUG-01 · Enamel mug"]
    nobody = make_staff(None, username="nobody")
    assert search(nobody, "mug-01") == []


def test_ctrl_k_answers_with_the_order_and_no_model_search(store, superuser, client_for):
    _, _, order = store
    page = client_for(superuser).get(reverse("admin:search"), {"s": order.number}).content
    page = page.decode()
    assert f'data-title="{order.number}"' in page
    assert reverse("admin:orders_order_change", args=[order.pk]) in page
    # Unfold's model search would also list the order's lines and ledger rows ("data_object").
    assert "data_object" not in page
