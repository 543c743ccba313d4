"""The API against its own OpenAPI schema (schemathesis), in-process through the WSGI app,
as a superuser's token and as a read-only token: no 5xx, and every documented answer has
the documented shape and media type.

The number of examples per operation is bounded (API_FUZZ_EXAMPLES, default 15) so that the
run stays within about a minute per database.
"""

import json
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from backoffice.services import api_token_create
from catalog.tests.factories import make_category, make_product
from orders.tests.factories import make_customer, make_order

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "15"))
SKIPPED = {"/api/v1/auth/jwt/"}  # every wrong password counts toward the lockout


@pytest.fixture
def wsgi_app():
    """The WSGI app, without closing the test's connection after each request (as the
    test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema():
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(json.loads(json.dumps(raw, default=str)))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["superuser", "Read-only"])
def test_api_conforms_to_its_schema_and_never_answers_5xx(
    role, wsgi_app, api_schema, make_staff, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": [],  # thousands of requests in a few seconds
    }
    user = make_staff(superuser=True) if role == "superuser" else make_staff(role)
    _, key = api_token_create(user=user, name="schemathesis")
    shoes = make_category("Shoes", "shoes")
    mug = make_product("MUG", category=shoes, stock=1000)
    make_order([(mug, 1)], customer=make_customer("buyer@shop.test"))
    headers = {"Authorization": f"Token {key}"}
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    calls = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.path in SKIPPED:
            continue

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            nonlocal calls
            response = case.call(app=wsgi_app, headers=headers)
            calls += 1
            case.validate_response(response, checks=checks, headers=headers)

        check()
    assert calls > 100
