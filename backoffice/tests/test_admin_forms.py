"""The forms the back-office admin declares itself draw Unfold's inputs (border, background)."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse
from unfold import widgets as unfold_widgets

from backoffice.admin.tokens import ApiTokenForm
from backoffice.admin.users import RoleForm
from backoffice.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("form_class", "name"), [(RoleForm, "role"), (ApiTokenForm, "expires_days")]
)
def test_declared_form_fields_use_unfold_widgets(form_class, name):
    widget = form_class().fields[name].widget
    assert type(widget).__module__ == unfold_widgets.__name__
    assert {"border", "bg-white"} <= set(widget.attrs["class"].split())


def test_role_action_page_draws_an_unfold_select(admin_client_super, make_staff):
    user = make_staff("Read-only", username="someone")
    response = admin_client_super.post(
        reverse("admin:backoffice_user_changelist"),
        {"action": "add_to_role", ACTION_CHECKBOX_NAME: [user.pk], "index": 0},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Add users to a role" in html
    assert "border-base-200" in html[html.index('<select name="role"') :].split(">")[0]


def test_api_token_add_page_draws_expiry_as_an_unfold_input(admin_client_super):
    html = admin_client_super.get(reverse("admin:backoffice_apitoken_add")).content.decode()
    start = html.index('name="expires_days"')
    assert "border-base-200" in html[html.rindex("<input", 0, start) : html.index(">", start)]


def test_the_token_add_form_sent_again_makes_no_second_token(admin_client_super, superuser):
    """Reloading the page that shows a new key sends the same form again."""
    url = reverse("admin:backoffice_apitoken_add")
    html = admin_client_super.get(url).content.decode()
    once = re.search(r'name="once" value="([^"]+)"', html).group(1)
    form = {"user": superuser.pk, "name": "shop-bot", "once": once}

    first = admin_client_super.post(url, form)
    assert first.status_code == 200 and "API token created" in first.content.decode()
    again = admin_client_super.post(url, form)

    assert again.status_code == 302
    assert again["Location"] == reverse("admin:backoffice_apitoken_changelist")
    assert ApiToken.objects.filter(name="shop-bot").count() == 1
    shown = [str(m) for m in get_messages(again.wsgi_request)]
    assert any("already sent" in m and "No second token" in m for m in shown), shown
    other = re.search(
        r'name="once" value="([^"]+)"', admin_client_super.get(url).content.decode()
    ).group(1)
    assert other != once  # a new form: a new token
    assert admin_client_super.post(url, {**form, "once": other}).status_code == 200
    assert ApiToken.objects.filter(name="shop-bot").count() == 2
