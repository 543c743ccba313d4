"""Records link to each other: ledger references, products, customers and their orders."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from catalog.models import StockMovement
from catalog.services import stock_adjust
from catalog.tests.factories import make_product
from orders.tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale():
    mug = make_product("MUG-01", name="Enamel mug", stock=20, price="9.50")
    zoe = make_customer("zoe@shop.test", first_name="Zoe", last_name="Quill")
    order = make_order([(mug, 5)], customer=zoe)
    return mug, zoe, order


def order_link(order) -> str:
    return (
        f'href="{reverse("orders_order_by_number", args=[order.number])}">order {order.number}</a>'
    )


def test_a_stock_movement_reads_as_quantity_sku_and_cause(sale):
    mug, _, order = sale
    taken = StockMovement.objects.get(reference=order.stock_reference)
    assert str(taken) == f"\N{MINUS SIGN}5 \N{MULTIPLICATION SIGN} MUG-01 (order {order.number})"
    opening = StockMovement.objects.filter(product=mug).exclude(pk=taken.pk).get()
    assert str(opening).endswith(" \N{MULTIPLICATION SIGN} MUG-01 (initial stock)")
    assert str(opening).startswith("+")


def test_the_ledger_list_links_the_order_and_the_product(sale, superuser, client_for):
    mug, _, order = sale
    client = client_for(superuser)
    page = client.get(reverse("admin:catalog_stockmovement_changelist")).content.decode()
    assert order_link(order) in page
    assert f'href="{reverse("admin:catalog_product_change", args=[mug.pk])}">MUG-01</a>' in page
    # The movement's own page: titled in words, with the same links.
    taken = StockMovement.objects.get(reference=order.stock_reference)
    page = client.get(
        reverse("admin:catalog_stockmovement_change", args=[taken.pk])
    ).content.decode()
    assert f"<title> \N{MINUS SIGN}5 \N{MULTIPLICATION SIGN} MUG-01 (order {order.number})" in page
    assert order_link(order) in page


def test_a_reference_link_opens_the_order(sale, superuser, client_for):
    _, _, order = sale
    client = client_for(superuser)
    response = client.get(reverse("orders_order_by_number", args=[order.number]))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:orders_order_change", args=[order.pk])
    assert client.get(reverse("orders_order_by_number", args=["ORD-999999"])).status_code == 404


def test_a_role_without_orders_sees_the_reference_as_text(sale, make_staff, client_for):
    _, _, order = sale
    client = client_for(make_staff("Catalog managers"))
    page = client.get(reverse("admin:catalog_stockmovement_changelist")).content.decode()
    assert f"order {order.number}" in page  # the same words as for others, unlinked
    assert order.stock_reference not in page
    assert order_link(order) not in page
    assert client.get(reverse("orders_order_by_number", args=[order.number])).status_code == 403


@pytest.mark.parametrize("reference", ["order:A/B", "order:/", "order:ORD-1/../x"])
def test_a_typed_reference_that_names_no_order_number_is_text(
    sale, superuser, client_for, reference
):
    # The API's stock adjustment takes any reference a catalog manager types.
    mug, _, _ = sale
    stock_adjust(product=mug, quantity=1, reason="adjustment", reference=reference, user=superuser)
    client = client_for(superuser)
    for url in (
        reverse("admin:catalog_stockmovement_changelist"),
        reverse("admin:catalog_product_change", args=[mug.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        # Shown as words, like every reference ("order A/B"), with no link.
        assert escape(reference.replace(":", " ", 1)) in response.content.decode()


def test_the_product_page_ledger_links_its_orders(sale, superuser, client_for):
    mug, _, order = sale
    page = client_for(superuser).get(reverse("admin:catalog_product_change", args=[mug.pk]))
    assert order_link(order) in page.content.decode()


def test_the_order_page_ledger_links_the_product(sale, superuser, client_for):
    mug, _, order = sale
    page = client_for(superuser).get(reverse("admin:orders_order_change", args=[order.pk]))
    url = reverse("admin:catalog_product_change", args=[mug.pk])
    assert re.search(rf'href="{re.escape(url)}"[^>]*>MUG-01</a>', page.content.decode())


def test_the_order_list_links_the_customer_and_shows_money(sale, superuser, client_for):
    _, zoe, _ = sale
    page = client_for(superuser).get(reverse("admin:orders_order_changelist")).content.decode()
    assert f'href="{reverse("admin:orders_customer_change", args=[zoe.pk])}">Zoe Quill</a>' in page
    assert "€47.50" in page


def test_a_customer_links_to_their_orders(sale, superuser, client_for):
    _, zoe, order = sale
    other = make_order([(sale[0], 1)])
    client = client_for(superuser)
    orders_url = f"{reverse('admin:orders_order_changelist')}?customer={zoe.pk}"
    listing = client.get(reverse("admin:orders_customer_changelist")).content.decode()
    assert f'href="{orders_url}">1</a>' in listing.replace("&amp;", "&")
    assert "€47.50" in listing  # spent
    page = client.get(reverse("admin:orders_customer_change", args=[zoe.pk])).content.decode()
    assert f'href="{orders_url}">' in page.replace("&amp;", "&")
    filtered = client.get(orders_url).content.decode()
    assert order.number in filtered and other.number not in filtered
    assert "Zoe Quill" in filtered.split('id="changelist-filter', 1)[-1]  # the filter applied
    assert client.get(f"{reverse('admin:orders_order_changelist')}?customer=x").status_code == 200
