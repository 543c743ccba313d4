"""Lists that stay fast when large: capped counts, keys-first pages, select-all limit."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from backoffice.admin import base
from backoffice.admin.paginator import CappedCountPaginator
from backoffice.admin.search import order_number_query
from catalog.models import Product
from catalog.tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:catalog_product_changelist")


@pytest.fixture
def five_products():
    category = make_category()
    return [make_product(f"P-{n}", category=category) for n in range(5)]


def test_count_is_capped_and_shown_as_more_than(admin_client_super, five_products, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "max_rows", 3)
    response = admin_client_super.get(CHANGELIST, {"is_active__exact": 1})
    paginator = response.context["cl"].paginator
    assert (paginator.capped, paginator.count, paginator.display_count) == (True, 3, "more than 3")
    assert "pages show the first 3" in response.content.decode()


def test_uncapped_count_is_exact(admin_client_super, five_products):
    response = admin_client_super.get(CHANGELIST)
    assert response.context["cl"].paginator.display_count == "5"
    assert response.context["cl"].result_count == 5


def test_later_pages_load_by_keys_in_the_right_order(
    admin_client_super, five_products, monkeypatch
):
    monkeypatch.setattr(base.BaseAdmin, "list_per_page", 2)
    from catalog.admin.products import ProductAdmin

    monkeypatch.setattr(ProductAdmin, "list_per_page", 2)
    page = admin_client_super.get(CHANGELIST, {"p": 2})
    assert [p.sku for p in page.context["cl"].result_list] == ["P-2", "P-3"]
    last = admin_client_super.get(CHANGELIST, {"p": 3})
    assert [p.sku for p in last.context["cl"].result_list] == ["P-4"]


def test_select_all_refused_above_the_cap(admin_client_super, five_products, monkeypatch):
    monkeypatch.setattr(base, "MAX_ROWS", 3)
    response = admin_client_super.post(
        CHANGELIST,
        {
            "action": "deactivate_products",
            ACTION_CHECKBOX_NAME: [five_products[0].pk],
            "select_across": "1",
            "index": 0,
        },
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any("at most 3 rows at once" in t for t in texts)
    assert Product.objects.filter(is_active=True).count() == 5


def test_select_all_allowed_below_the_cap(admin_client_super, five_products):
    admin_client_super.post(
        CHANGELIST,
        {
            "action": "deactivate_products",
            ACTION_CHECKBOX_NAME: [five_products[0].pk],
            "select_across": "1",
            "index": 0,
        },
    )
    assert Product.objects.filter(is_active=True).count() == 0


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("ORD-0000", "istartswith"),
        ("42", "ORD-000042"),
        ("smith", None),
        ("a@b.c", None),
    ],
)
def test_order_number_query_reads_the_term(term, expected):
    query = order_number_query(term)
    if expected is None:
        assert query is None
    else:
        assert expected in str(query)
