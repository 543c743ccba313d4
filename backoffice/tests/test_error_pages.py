"""403, 404 and 500 under /admin/: in the admin's frame, one sentence, a way back; a refusal
is one line in the log."""

import io
import logging

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from backoffice import views

pytestmark = pytest.mark.django_db

SIDEBAR = 'id="nav-sidebar'


def test_a_refused_admin_page_shows_the_sidebar_a_sentence_and_a_way_back(make_staff, client_for):
    client = client_for(make_staff("Catalog managers"))
    response = client.get(reverse("admin:orders_order_changelist"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "Your role may not open this page." in page
    assert f'id="back-to-dashboard" href="{reverse("admin:index")}"' in page
    assert "unfold/css/styles" in page
    # The admin's frame: the sidebar with this role's links, the user menu.
    assert SIDEBAR in page
    assert reverse("admin:catalog_product_changelist") in page
    assert reverse("admin:logout") in page


def test_a_missing_admin_page_is_a_404_in_the_frame(superuser, client_for):
    client = client_for(superuser)
    response = client.get("/admin/orders/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in page and "There is no page at this address" in page
    assert SIDEBAR in page
    assert f'href="{reverse("admin:index")}"' in page


def test_outside_the_admin_a_404_is_django_s_plain_page(superuser, client_for):
    response = client_for(superuser).get("/no-such-page/")
    assert response.status_code == 404
    assert SIDEBAR not in response.content.decode()


def test_a_refusal_is_logged_as_one_line_without_a_traceback(make_staff, client_for):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        client = client_for(make_staff("Catalog managers"))
        assert client.get(reverse("admin:orders_order_changelist")).status_code == 403
    finally:
        root.removeHandler(handler)
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    assert lines == ["WARNING django.request Forbidden (Permission denied): /admin/orders/order/"]


def test_a_server_error_keeps_its_traceback_in_the_log(superuser, monkeypatch):
    def broken(request, context):
        raise RuntimeError("the dashboard broke")

    monkeypatch.setattr("backoffice.dashboard.dashboard_callback", broken)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)
    try:
        client = Client(raise_request_exception=False)
        client.force_login(superuser)
        response = client.get(reverse("admin:index"))
    finally:
        logging.getLogger().removeHandler(handler)
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "unfold/css/styles.css" in page
    assert f'href="{reverse("admin:index")}"' in page
    assert "Traceback" in stream.getvalue()
    assert "the dashboard broke" in stream.getvalue()


def test_the_500_page_needs_no_database_and_no_user(django_assert_num_queries):
    request = RequestFactory().get("/admin/catalog/product/")

    class Broken:
        def __getattr__(self, name):
            raise AssertionError("the 500 page read the user")

    request.user = Broken()
    request.session = Broken()
    with django_assert_num_queries(0):
        response = views.server_error(request)
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
