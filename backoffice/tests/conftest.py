"""Fixtures of the API tests: clients that send a role's API token."""

import pytest
from rest_framework.test import APIClient

from backoffice.services import api_token_create


@pytest.fixture
def api_for(make_staff):
    """Return api_for(role or None, superuser=False) -> an APIClient with a fresh token."""

    def make(role: str | None = None, *, superuser: bool = False, **extra) -> APIClient:
        user = make_staff(role, superuser=superuser, **extra)
        _, key = api_token_create(user=user, name="test")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        client.user = user
        return client

    return make


@pytest.fixture
def api(api_for):
    """An APIClient acting as a superuser through an API token."""
    return api_for(superuser=True)
