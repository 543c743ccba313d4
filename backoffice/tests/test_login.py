"""Logging in to the back-office: staff only, the Unfold login page, logout."""

import pytest
from django.urls import reverse

from backoffice.roles import ROLE_NAMES

pytestmark = pytest.mark.django_db


def login(client, username: str, password: str):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )


def test_login_superuser_reaches_admin_index(client, staff_password, superuser):
    response = login(client, superuser.username, staff_password)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_login_staff_user_of_each_role(client, staff_password, make_staff, role):
    user = make_staff(role)
    response = login(client, user.username, staff_password)
    assert response.status_code == 302
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert index.context["user"] == user


def test_login_non_staff_user_is_refused(client, staff_password, make_staff):
    user = make_staff(staff=False, username="customer")
    response = login(client, user.username, staff_password)
    assert response.status_code == 200  # the form again, with an error
    assert "enter the correct username and password for a staff account" in (
        response.content.decode().lower()
    )
    assert client.get(reverse("admin:index")).status_code == 302


def test_login_page_is_unfold_styled(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert "unfold" in response.content.decode()
    assert "Store back-office" in response.content.decode()


def test_root_redirects_to_admin(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_logout_ends_the_session(client, superuser):
    client.force_login(superuser)
    assert client.post(reverse("admin:logout")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302
