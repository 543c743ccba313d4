"""The admin lists: as many queries at 60 rows as at 2, and the cells Unfold would draw."""

from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from unfold.admin import checkbox
from unfold.utils import _boolean_icon, display_for_label

from catalog.models import Product
from catalog.tests.factories import make_category, make_product
from foundation.admin.cells import boolean_icon, label, row_checkbox
from orders.models import Customer, OrderStatus
from orders.tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db

# Queries of each list page: session, user, the page's own (count, rows…), and on
# PostgreSQL the planner's estimate that an unfiltered list shows as its size. A later
# page reads its 50 keys first, then their rows (foundation.admin.paginator).
LISTS = {
    "/admin/catalog/product/": 6,
    "/admin/catalog/product/?is_active__exact=1": 5,
    "/admin/catalog/product/?p=2": 7,
    "/admin/orders/order/": 6,
    "/admin/orders/order/?status=pending": 5,
    "/admin/orders/order/?p=2": 7,
    "/admin/orders/customer/": 6,
    "/admin/orders/customer/?country__exact=DE": 5,
    "/admin/orders/customer/?p=2": 7,
}


def fill(rows: int) -> None:
    category = make_category()
    for _ in range(rows):
        product = make_product(stock=5, category=category)
        make_order([(product, 1)], customer=make_customer())


def queries(client, url: str) -> int:
    client.get(url)  # the cached country list and the like
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("url", [url for url in LISTS if "p=" not in url])
def test_list_page_runs_the_same_queries_at_any_size(admin_client_super, url):
    fill(2)
    few = queries(admin_client_super, url)
    fill(58)  # 60 rows: more than a page (50)
    assert queries(admin_client_super, url) == few


@pytest.mark.parametrize("url", LISTS)
def test_list_page_queries(admin_client_super, django_assert_num_queries, url):
    fill(60)
    admin_client_super.get(url)  # the cached country list and the like
    unfiltered = "?" not in url or "p=" in url
    expected = LISTS[url] - (connection.vendor != "postgresql" and unfiltered)
    with django_assert_num_queries(expected):
        response = admin_client_super.get(url)
    assert response.status_code == 200


def test_list_cells_are_the_ones_unfold_draws(admin_client_super):
    category = make_category()
    product = make_product(stock=3, category=category, low_stock_threshold=5)
    make_product(stock=0, category=category, is_active=False)
    order = make_order([(product, 1)], customer=make_customer())

    page = admin_client_super.get("/admin/catalog/product/").content.decode()
    assert 'id="action-toggle"' in page  # the column header: select the whole page
    for each in Product.objects.all():
        assert checkbox.render(helpers.ACTION_CHECKBOX_NAME, str(each.pk)) in page
        assert f'href="/admin/catalog/product/{each.pk}/change/"' in page
    assert display_for_label(("x", "2 · Low stock"), "-", {"x": "warning"}) in page
    assert display_for_label(("x", "0 · Out of stock"), "-", {"x": "danger"}) in page
    assert _boolean_icon(True) in page and _boolean_icon(False) in page

    page = admin_client_super.get("/admin/orders/order/").content.decode()
    assert checkbox.render(helpers.ACTION_CHECKBOX_NAME, str(order.pk)) in page
    assert display_for_label(("x", "Pending"), "-", {"x": "warning"}) in page
    assert f'href="/admin/orders/order/{order.pk}/change/"' in page
    assert OrderStatus(order.status) == OrderStatus.PENDING


@pytest.mark.parametrize("key", ["7", "a/b c", "under_score", "50%?#", "é:@~"])
def test_row_links_are_the_ones_django_reverses(rf, superuser, key):
    model_admin = admin.site._registry[Customer]
    request = rf.get("/admin/orders/customer/")
    request.user = superuser
    changelist = model_admin.get_changelist_instance(request)
    row = SimpleNamespace(id=key)
    assert changelist.url_for_result(row) == ChangeList.url_for_result(changelist, row)


@pytest.mark.parametrize("language", ["en", "de", "en"])
def test_kept_cells_follow_the_language(language):
    with translation.override(language):
        assert boolean_icon(False) == _boolean_icon(False)
        assert row_checkbox(1) == checkbox.render(helpers.ACTION_CHECKBOX_NAME, "1")
        assert label("Paid", "info") == display_for_label(("x", "Paid"), "-", {"x": "info"})
