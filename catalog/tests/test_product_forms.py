"""The product admin's forms: Unfold widgets, the price change preview, Adjust stock on the
product page."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from unfold import widgets as unfold_widgets

from catalog.admin.forms import PriceChangeForm, ProductForm, StockAdjustForm
from catalog.models import Product, StockMovement
from catalog.tests.factories import make_product

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:catalog_product_changelist")
ROLES_WITHOUT_STOCK = ["Fulfilment", "Customer support", "Read-only"]


def run_action(client, action: str, products, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [p.pk for p in products], "index": 0, **extra}
    return client.post(CHANGELIST, data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# Every form the admin declares itself draws Unfold's inputs -------------------------------


@pytest.mark.parametrize(
    ("form_class", "names"),
    [
        (ProductForm, ["initial_stock"]),
        (PriceChangeForm, ["percent"]),
        (StockAdjustForm, ["quantity", "reason", "note"]),
    ],
)
def test_declared_form_fields_use_unfold_widgets(form_class, names):
    form = form_class()
    for name in names:
        widget = form.fields[name].widget
        assert type(widget).__module__ == unfold_widgets.__name__, (name, type(widget))
        # Unfold's classes are what give the input its border and background.
        assert {"border", "bg-white"} <= set(widget.attrs["class"].split()), name


def test_product_add_page_draws_initial_stock_as_an_unfold_input(admin_client_super):
    html = admin_client_super.get(reverse("admin:catalog_product_add")).content.decode()
    start = html.index('name="initial_stock"')
    tag = html[html.rindex("<input", 0, start) : html.index(">", start)]
    assert "border-base-200" in tag and "bg-white" in tag


def test_adjust_stock_form_page_draws_unfold_inputs(admin_client_super):
    product = make_product(stock=2)
    html = run_action(admin_client_super, "adjust_stock", [product]).content.decode()
    for name in ("quantity", "note"):
        start = html.index(f'name="{name}"')
        assert "border-base-200" in html[html.rindex("<input", 0, start) : html.index(">", start)]
    assert "border-base-200" in html[html.index('<select name="reason"') :].split(">")[0]


# The price change preview ------------------------------------------------------------------


def test_price_change_preview_shows_old_and_new_prices_and_writes_nothing(admin_client_super):
    a = make_product("MUG-1", name="Mug", price="11.50")
    b = make_product("CUP-1", name="Cup", price="19.99")
    versions = a.history.count()
    form = run_action(admin_client_super, "change_price", [a, b])
    assert b'name="preview"' in form.content and b'name="apply"' not in form.content

    response = run_action(admin_client_super, "change_price", [a, b], preview=1, percent="10")
    html = response.content.decode()
    assert "Prices +10%" in html
    assert "€11.50</span> → <strong" in html and "€12.65" in html
    assert "€19.99" in html and "€21.99" in html
    assert 'name="apply"' in html and 'type="hidden" name="percent" value="10"' in html
    prices = dict(Product.objects.values_list("sku", "price"))
    assert prices == {"MUG-1": Decimal("11.50"), "CUP-1": Decimal("19.99")}
    assert a.history.count() == versions


def test_price_change_preview_is_bounded_and_counts_the_rest(admin_client_super):
    products = [make_product(f"P-{n:02d}", price="10.00") for n in range(25)]
    response = run_action(admin_client_super, "change_price", products, preview=1, percent="5")
    assert response.content.decode().count("€10.50") == 20
    assert "…and 5 more, changed the same way." in response.content.decode()


def test_price_change_preview_names_a_price_out_of_range_and_offers_no_apply(admin_client_super):
    products = [make_product(f"Q-{n:02d}", price="1.00") for n in range(21)]
    top = make_product("ZZ-TOP", price="99999999.99")  # sorted last: not among those shown
    response = run_action(
        admin_client_super, "change_price", [*products, top], preview=1, percent="1000"
    )
    html = response.content.decode()
    assert "ZZ-TOP: +1000% would make its price" in html
    assert '<button type="submit" name="apply" value="1" disabled' in html


def test_price_change_back_from_preview_keeps_the_value(admin_client_super):
    product = make_product(price="10.00")
    response = run_action(admin_client_super, "change_price", [product], edit=1, percent="7")
    assert response.context["form"]["percent"].value() == "7"
    assert b'name="preview"' in response.content


def test_price_change_apply_after_preview_changes_prices(client_for, make_staff):
    product = make_product(price="11.50")
    client = client_for(make_staff("Catalog managers"))
    response = run_action(client, "change_price", [product], apply=1, percent="10")
    assert "Price changed by 10% on 1 product(s)." in messages_of(response)
    assert Product.objects.get().price == Decimal("12.65")


def test_a_get_with_the_action_in_the_address_changes_nothing(admin_client_super):
    product = make_product(price="11.50")
    response = admin_client_super.get(
        CHANGELIST,
        {"action": "change_price", ACTION_CHECKBOX_NAME: product.pk, "apply": 1, "percent": 10},
    )
    assert response.status_code in (200, 302)
    assert Product.objects.get().price == Decimal("11.50")


@pytest.mark.parametrize("role", ROLES_WITHOUT_STOCK)
def test_price_change_preview_and_apply_refused_without_permission(client_for, make_staff, role):
    product = make_product(price="11.50")
    client = client_for(make_staff(role))
    for step in ({"preview": 1}, {"apply": 1}):
        response = run_action(client, "change_price", [product], percent="10", **step)
        # No preview for who cannot apply: the action is not offered, the list is shown.
        assert "cl" in response.context and "Prices +10%" not in response.content.decode()
    assert Product.objects.get().price == Decimal("11.50")


# Adjust stock from the product page -------------------------------------------------------


def adjust_url(product) -> str:
    return reverse("admin:catalog_product_adjust_stock_of_product", args=[product.pk])


@pytest.mark.parametrize("who", ["superuser", "Catalog managers"])
def test_product_page_adjust_stock_button_shown_to_who_may_adjust(client_for, make_staff, who):
    product = make_product(stock=3)
    user = make_staff(superuser=True) if who == "superuser" else make_staff(who)
    html = client_for(user).get(reverse("admin:catalog_product_change", args=[product.pk]))
    assert f'href="{adjust_url(product)}"' in html.content.decode()


@pytest.mark.parametrize("role", ROLES_WITHOUT_STOCK)
def test_product_page_adjust_stock_button_hidden_and_refused_without_permission(
    client_for, make_staff, role
):
    product = make_product(stock=3)
    client = client_for(make_staff(role))
    page = client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    assert page.status_code == 200 and adjust_url(product) not in page.content.decode()
    assert client.get(adjust_url(product)).status_code == 403
    response = client.post(adjust_url(product), {"apply": 1, "quantity": 5, "reason": "count"})
    assert response.status_code == 403
    assert Product.objects.get().stock == 3 and StockMovement.objects.count() == 1


def test_product_page_adjust_stock_get_shows_the_form_and_post_writes_a_ledger_row(
    client_for, make_staff
):
    product = make_product("MUG-1", stock=3)
    user = make_staff("Catalog managers")
    client = client_for(user)
    form = client.get(adjust_url(product))
    html = form.content.decode()
    assert form.status_code == 200 and "Adjust stock: MUG-1" in html
    assert "In stock now: 3." in html
    assert 'name="quantity"' in html and 'name="action"' not in html
    assert StockMovement.objects.count() == 1  # the GET wrote nothing

    response = client.post(
        adjust_url(product), {"apply": 1, "quantity": -2, "reason": "adjustment", "note": "broken"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:catalog_product_change", args=[product.pk])
    move = StockMovement.objects.latest("id")
    assert (move.product, move.quantity, move.note) == (product, -2, "broken")
    assert move.created_by == user
    assert Product.objects.get().stock == 1


def test_product_page_adjust_stock_below_zero_is_a_message_and_changes_nothing(
    admin_client_super,
):
    product = make_product("MUG-1", stock=1)
    response = admin_client_super.post(
        adjust_url(product), {"apply": 1, "quantity": -5, "reason": "adjustment"}, follow=True
    )
    assert any("Not enough stock for MUG-1" in m for m in messages_of(response))
    assert Product.objects.get().stock == 1


def test_product_page_adjust_stock_invalid_quantity_is_a_form_error(admin_client_super):
    product = make_product(stock=1)
    response = admin_client_super.post(
        adjust_url(product), {"apply": 1, "quantity": 0, "reason": "adjustment"}
    )
    assert response.status_code == 200
    assert "Enter a quantity other than 0." in response.content.decode()


def test_product_page_adjust_stock_of_a_missing_product_is_404(admin_client_super):
    url = reverse("admin:catalog_product_adjust_stock_of_product", args=[999999])
    assert admin_client_super.get(url).status_code == 404


@pytest.mark.parametrize(("percent", "price"), [("-99.99", "0.01"), ("1000", "1100.00")])
def test_price_change_accepts_the_limits_its_message_names(admin_client_super, percent, price):
    """The form says "at least -99.99" and "at most 1000": both limits themselves are allowed."""
    product = make_product(price="100.00")
    response = run_action(admin_client_super, "change_price", [product], apply=1, percent=percent)
    assert f"Price changed by {percent}% on 1 product(s)." in messages_of(response)
    assert Product.objects.get().price == Decimal(price)
