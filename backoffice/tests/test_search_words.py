"""Searches find what Django's own search found: words across fields, email starts."""

import pytest
from django.urls import reverse

from catalog.tests.factories import make_category, make_product
from orders.tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db


def shown(client, url, q):
    resp = client.get(url, {"q": q})
    assert resp.status_code == 200
    return [str(o) for o in resp.context["cl"].result_list]


def test_product_search_words_across_name_and_category(admin_client_super):
    shoes = make_category("Shoes", "shoes")
    make_product("RUN-1", name="Red runner", category=shoes)
    make_product("HAT-1", name="Red hat", category=make_category("Hats", "hats"))
    url = reverse("admin:catalog_product_changelist")
    # Django's own search (search_fields ^sku, name, category__name) finds RUN-1 for "red shoes"
    assert shown(admin_client_super, url, "red shoes") == ["RUN-1 · Red runner"]


def test_customer_search_by_start_of_email_without_at(admin_client_super):
    make_customer("jsmith@example.com", first_name="John", last_name="Smith")
    url = reverse("admin:orders_customer_changelist")
    assert len(shown(admin_client_super, url, "jsmith")) == 1


def test_order_search_by_start_of_email_without_at(admin_client_super):
    p = make_product("X-1", stock=10)
    c = make_customer("jsmith@example.com", first_name="John", last_name="Smith")
    make_order([(p, 1)], customer=c)
    url = reverse("admin:orders_order_changelist")
    assert len(shown(admin_client_super, url, "jsmith")) == 1


def test_django_default_search_found_them(rf, superuser):
    from django.contrib import admin as dj_admin

    from catalog.models import Product
    from orders.models import Customer, Order

    shoes = make_category("Shoes", "shoes")
    make_product("RUN-1", name="Red runner", category=shoes, stock=5)
    c = make_customer("jsmith@example.com", first_name="John", last_name="Smith")
    make_order([(Product.objects.get(sku="RUN-1"), 1)], customer=c)
    req = rf.get("/")
    req.user = superuser
    for model, term in ((Product, "red shoes"), (Customer, "jsmith"), (Order, "jsmith")):
        ma = dj_admin.site._registry[model]
        qs, _ = dj_admin.ModelAdmin.get_search_results(ma, req, model.objects.all(), term)
        assert qs.count() == 1, model
