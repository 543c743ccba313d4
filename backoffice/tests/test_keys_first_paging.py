"""Keys-first pages show the same rows, in the same order, as plain slicing."""

import random

import pytest
from django.urls import reverse

from catalog.tests.factories import make_category, make_product
from orders.tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db


def check(client, url, ncols, extra=None):
    bad = []
    for col in range(1, ncols + 1):
        for sign in ("", "-"):
            params = {"o": f"{sign}{col}", "p": "2", **(extra or {})}
            resp = client.get(url, params)
            assert resp.status_code == 200, params
            cl = resp.context["cl"]
            got = [o.pk for o in cl.result_list]
            want = list(cl.queryset.values_list("pk", flat=True))[50:100]
            naive = [o.pk for o in cl.queryset[50:100]]
            if got != naive or got != want:
                bad.append((params, got[:5], naive[:5]))
    return bad


def test_pages(admin_client_super):
    random.seed(1)
    cats = [make_category() for _ in range(3)]
    products = [
        make_product(
            f"S-{i:04d}",
            category=random.choice(cats),
            price=str(random.choice([5, 10, 20])),
            stock=200 if i < 20 else random.choice([0, 3, 50]),
        )
        for i in range(170)
    ]
    customers = [
        make_customer(first_name=random.choice(["Ann", "Bob"]), last_name=random.choice(["A", "B"]))
        for _ in range(170)
    ]
    for i in range(170):
        make_order([(products[i % 20], 1)], customer=customers[i % 170] if i % 3 else customers[0])
    bad = []
    bad += check(admin_client_super, reverse("admin:catalog_product_changelist"), 8)
    bad += check(admin_client_super, reverse("admin:orders_order_changelist"), 7)
    bad += check(admin_client_super, reverse("admin:orders_customer_changelist"), 7)
    bad += check(admin_client_super, reverse("admin:orders_customer_changelist"), 7, {"q": "Ann"})
    assert not bad
