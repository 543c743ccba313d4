"""Failed logins are throttled per username and per address (django-axes)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")


ROUTER = "10.0.0.1"  # behind the platform's router, every request comes from it


@pytest.fixture(autouse=True)
def behind_the_router(request, settings):
    """Most tests here model a deployment behind a TLS-ending router it names as trusted."""
    if "no_proxy" not in request.keywords:
        settings.BEHIND_PROXY = True
        settings.TRUSTED_PROXIES = [ROUTER]


def attempt(client: Client, username: str, password: str, ip: str = "203.0.113.5"):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=ROUTER,
        HTTP_X_FORWARDED_FOR=ip,
    )


def test_login_lockout_five_failures_lock_the_username_even_with_the_right_password(
    staff_password, make_staff, settings
):
    user = make_staff("Fulfilment")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, user.username, "wrong").status_code == 200
    locked = attempt(client, user.username, "wrong")
    assert locked.status_code == 429
    again = attempt(client, user.username, staff_password, ip="198.51.100.7")  # another address
    assert again.status_code == 429
    assert "Too many failed logins" in again.content.decode()
    assert "Try again in 15 minutes" in again.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302  # not logged in


def test_login_lockout_failures_from_one_address_lock_that_address(
    staff_password, make_staff, settings
):
    make_staff("Fulfilment", username="alice")
    bob = make_staff("Read-only", username="bob")
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"guess{n}", "wrong", ip="192.0.2.9")
    assert attempt(client, bob.username, staff_password, ip="192.0.2.9").status_code == 429
    assert attempt(Client(), bob.username, staff_password, ip="192.0.2.10").status_code == 302


def test_login_lockout_undone_with_the_management_commands(staff_password, make_staff, settings):
    user = make_staff("Fulfilment")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, user.username, "wrong")
    assert attempt(client, user.username, staff_password).status_code == 429
    call_command("axes_reset_username", user.username, stdout=StringIO())
    call_command("axes_reset_ip", "203.0.113.5", stdout=StringIO())
    assert attempt(client, user.username, staff_password).status_code == 302


def test_login_lockout_success_resets_the_failure_count(staff_password, make_staff, settings):
    user = make_staff("Fulfilment")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, user.username, "wrong")
    assert attempt(client, user.username, staff_password).status_code == 302
    client.post(reverse("admin:logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, user.username, "wrong")
    assert attempt(client, user.username, staff_password).status_code == 302


def test_login_lockout_superuser_sees_lockouts_in_the_admin(
    admin_client_super, make_staff, settings
):
    user = make_staff("Fulfilment")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), user.username, "wrong")
    page = admin_client_super.get(reverse("admin:axes_accessattempt_changelist"))
    assert page.status_code == 200 and user.username in page.content.decode()


def test_login_lockout_forged_forwarded_for_entry_does_not_escape_it(
    staff_password, make_staff, settings
):
    make_staff("Fulfilment", username="alice")
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The client writes its own X-Forwarded-For; the router appends the real address.
        client.post(
            LOGIN,
            {"username": f"guess{n}", "password": "wrong"},
            REMOTE_ADDR=ROUTER,
            HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 192.0.2.50",
        )
    locked = client.post(
        LOGIN,
        {"username": "alice", "password": staff_password},
        REMOTE_ADDR=ROUTER,
        HTTP_X_FORWARDED_FOR="9.9.9.9, 192.0.2.50",
    )
    assert locked.status_code == 429


def test_client_ip_without_a_proxy_is_the_socket_address(settings):
    from django.test import RequestFactory

    from backoffice.security import client_ip

    settings.BEHIND_PROXY = False
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_ip(request) == "192.0.2.1"


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        (ROUTER, "203.0.113.5"),  # from the trusted router: its X-Forwarded-For entry
        ("10.0.0.99", "10.0.0.99"),  # not a named proxy: the header is ignored
        ("198.51.100.4", "198.51.100.4"),
    ],
)
def test_client_ip_believes_forwarded_for_only_from_trusted_proxies(settings, remote, expected):
    from django.test import RequestFactory

    from backoffice.security import client_ip

    settings.TRUSTED_PROXIES = [ROUTER]
    request = RequestFactory().get(
        "/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5"
    )
    assert client_ip(request) == expected


@pytest.mark.no_proxy
def test_login_lockout_by_default_rotating_forwarded_for_does_not_escape_it(make_staff, settings):
    # No proxy configured (the default): X-Forwarded-For is ignored, so forty guesses from
    # one address with forty made-up headers still count against that one address, and a
    # forged header cannot lock out somebody else's.
    assert settings.BEHIND_PROXY is False
    client = Client()
    statuses = [
        client.post(
            LOGIN,
            {"username": f"guess{n}", "password": "wrong"},
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(40)
    ]
    assert statuses[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(statuses[settings.AXES_FAILURE_LIMIT :]) == {429}
    victim = client.post(
        LOGIN, {"username": "guess0", "password": "wrong"}, REMOTE_ADDR="198.51.100.1"
    )
    assert victim.status_code == 200  # the address named in the forged header is not locked


def test_deploy_check_warns_when_a_proxy_is_trusted_from_any_address(settings):
    from django.core.checks import run_checks

    def ids() -> set[str]:
        return {
            m.id
            for m in run_checks(include_deployment_checks=True)
            if m.id.startswith("backoffice")
        }

    settings.TRUSTED_PROXIES = []
    assert "backoffice.W001" in ids()
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert "backoffice.W001" not in ids()
    settings.TRUSTED_PROXIES = ["ten.zero"]
    assert "backoffice.E001" in ids()
    settings.BEHIND_PROXY, settings.TRUSTED_PROXIES = False, []
    assert ids() == set()
