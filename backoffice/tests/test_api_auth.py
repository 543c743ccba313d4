"""API authentication: hashed tokens (expiry, revocation, last use), JWT with the login
lockout, the schema and its docs page, and JSON answers to odd requests under /api/."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from backoffice.models import ApiToken
from backoffice.services import api_token_create, api_token_digest
from foundation.api import TokenOrUserThrottle

pytestmark = pytest.mark.django_db

SCHEMA = "/api/v1/schema/"
JWT = "/api/v1/auth/jwt/"
ROUTER = "10.0.0.1"


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_create_api_token_prints_the_key_last_and_stores_only_its_digest(make_staff):
    user = make_staff("Read-only", username="shop")
    out = StringIO()
    call_command("create_api_token", "shop", "--expires-days", "30", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get(user=user)
    assert token.digest == api_token_digest(key)
    assert key not in {token.digest, token.prefix, token.name}
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert token_client(key).get(SCHEMA, {"format": "json"}).status_code == 200


def test_create_api_token_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("create_api_token", "ghost", stdout=StringIO())


def test_api_token_unknown_expired_or_revoked_is_401(make_staff):
    user = make_staff("Read-only")
    token, key = api_token_create(user=user, name="shop")
    assert token_client("bo_not-a-key").get(SCHEMA).status_code == 401
    assert token_client(key).get(SCHEMA).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = token_client(key).get(SCHEMA)
    assert expired.status_code == 401
    assert expired.json()["detail"] == "This API token has expired."
    ApiToken.objects.filter(pk=token.pk).update(expires_at=None, revoked_at=timezone.now())
    revoked = token_client(key).get(SCHEMA)
    assert revoked.status_code == 401
    assert revoked.json()["detail"] == "This API token was revoked."
    assert revoked["WWW-Authenticate"] == "Token"


def test_api_token_of_a_deactivated_user_is_401(make_staff):
    user = make_staff("Read-only")
    _, key = api_token_create(user=user, name="shop")
    user.is_active = False
    user.save()
    assert token_client(key).get(SCHEMA).status_code == 401


def test_api_token_records_its_last_use_at_most_once_a_minute(make_staff, settings):
    token, key = api_token_create(user=make_staff("Read-only"), name="shop")
    assert token.last_used_at is None
    client = token_client(key)
    client.get(SCHEMA)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    client.get(SCHEMA)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    settings.API_TOKEN_TOUCH_SECONDS = 0
    client.get(SCHEMA)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_schema_needs_a_login_and_answers_json_when_asked(make_staff):
    assert APIClient().get(SCHEMA).status_code == 401
    _, key = api_token_create(user=make_staff("Read-only"), name="shop")
    client = token_client(key)
    as_json = client.get(SCHEMA, {"format": "json"})
    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert as_json.json()["openapi"].startswith("3.")
    accept = client.get(SCHEMA, HTTP_ACCEPT="application/json")
    assert accept.json()["info"]["title"] == "Store back-office API"
    assert client.get(SCHEMA).content.startswith(b"openapi:")


def test_docs_page_for_logged_in_staff_with_assets_served_by_the_app(client_for, make_staff):
    anonymous = Client().get("/api/v1/docs/")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    page = client_for(make_staff("Read-only")).get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "https://" not in html  # nothing from a CDN


def test_jwt_login_refresh_and_bearer(make_staff, staff_password):
    user = make_staff("Read-only")
    client = APIClient()
    tokens = client.post(JWT, {"username": user.username, "password": staff_password}).json()
    assert set(tokens) == {"access", "refresh"}
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert bearer.get(SCHEMA).status_code == 200
    refreshed = client.post(JWT + "refresh/", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200 and "access" in refreshed.json()
    assert client.post(JWT + "refresh/", {"refresh": "nonsense"}).status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer nonsense")
    assert bad.get(SCHEMA).status_code == 401


@pytest.fixture
def behind_the_router(settings):
    """As in test_login_throttling: a deployment behind a router it names as trusted."""
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = [ROUTER]


def jwt_attempt(username: str, password: str, ip: str = "203.0.113.5"):
    return APIClient().post(
        JWT,
        {"username": username, "password": password},
        REMOTE_ADDR=ROUTER,
        HTTP_X_FORWARDED_FOR=ip,
    )


def test_jwt_failures_count_toward_the_admin_login_lockout(
    behind_the_router, make_staff, staff_password, settings
):
    user = make_staff("Read-only")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert jwt_attempt(user.username, "wrong").status_code == 401
    locked = jwt_attempt(user.username, "wrong")
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    # Locked for the right password too, from another address, and in the admin as well.
    assert jwt_attempt(user.username, staff_password, ip="198.51.100.7").status_code == 429
    admin_login = Client().post(
        "/admin/login/",
        {"username": user.username, "password": staff_password},
        REMOTE_ADDR=ROUTER,
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert admin_login.status_code == 429


def test_admin_login_failures_lock_the_jwt_login(
    behind_the_router, make_staff, staff_password, settings
):
    user = make_staff("Read-only")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            "/admin/login/",
            {"username": user.username, "password": "wrong"},
            REMOTE_ADDR=ROUTER,
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    assert jwt_attempt(user.username, staff_password, ip="198.51.100.7").status_code == 429


def test_nul_character_under_api_is_a_json_400(make_staff):
    _, key = api_token_create(user=make_staff("Read-only"), name="shop")
    response = token_client(key).get(SCHEMA, {"format": "json\x00"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "nul_character", "format": ["Contains a NUL character."]}


def test_throttled_api_requests_are_429_with_retry_after(make_staff, settings, monkeypatch):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "token": "2/min"},
    }
    clock = [1_800_000_015.5]  # 15.5 s into a minute
    monkeypatch.setattr(TokenOrUserThrottle, "timer", lambda self: clock[0])
    _, key = api_token_create(user=make_staff("Read-only"), name="throttled")
    client = token_client(key)
    assert [client.get(SCHEMA).status_code for _ in range(2)] == [200, 200]
    refused = client.get(SCHEMA)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"  # the minute's 44.5 s left, rounded up
    clock[0] += 44  # still the same minute
    assert client.get(SCHEMA).status_code == 429
    clock[0] += 1  # the next minute counts anew
    assert [client.get(SCHEMA).status_code for _ in range(3)] == [200, 200, 429]
    _, other = api_token_create(user=make_staff("Read-only", username="ro2"), name="another")
    assert token_client(other).get(SCHEMA).status_code == 200  # counted per token


def test_throttle_counters_expire_with_their_window_in_the_database_cache(make_staff):
    """Not with the cache's default timeout (6 hours): a counter per client and minute
    would fill the bounded cache and push out the import previews kept there."""
    assert settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")
    _, key = api_token_create(user=make_staff("Read-only"), name="counted")
    client = token_client(key)
    for _ in range(3):
        assert client.get(SCHEMA).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cache_key, expires FROM backoffice_cache WHERE cache_key LIKE %s",
            ["%throttle_token%"],
        )
        rows = cursor.fetchall()
    assert len(rows) == 1  # one counter for the token's minute
    expires = rows[0][1]
    if timezone.is_naive(expires):  # MariaDB's column, read raw
        expires = timezone.make_aware(expires, timezone.get_current_timezone())
    assert expires - timezone.now() <= timedelta(seconds=61)
    assert cache.get(rows[0][0].split(":", 2)[2]) == 3
