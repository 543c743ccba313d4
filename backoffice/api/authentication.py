"""API tokens (``Authorization: Token <key>``) and the JWT login counted by django-axes."""

import hmac
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from backoffice.models import ApiToken
from backoffice.services import api_token_digest as digest
from foundation.rows import row_by


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>``: the token's user, if the token is live.

    The result is kept on the request, so that the idempotency layer (which looks at the
    user before the view runs) and the view itself authenticate once.
    """

    keyword = "Token"

    def authenticate(self, request):
        raw = request._request
        cached = getattr(raw, "_api_token_auth", None)
        if cached is not None:
            return cached
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send 'Authorization: Token <key>'.")
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The token has characters no key has.") from None
        token = row_by(ApiToken, "digest", digest(key), related="user")
        # The lookup is by digest; compare again in constant time all the same.
        if token is None or not hmac.compare_digest(token.digest, digest(key)):
            raise exceptions.AuthenticationFailed("Unknown API token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API token was revoked.")
        now = timezone.now()
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed("This API token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is deactivated.")
        touch = timedelta(seconds=settings.API_TOKEN_TOUCH_SECONDS)
        if token.last_used_at is None or token.last_used_at <= now - touch:
            # At most one write per token and interval, not one per request.
            ApiToken.objects.filter(pk=token.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - touch)
            ).update(last_used_at=now)
            token.last_used_at = now
        raw._api_token_auth = (token.user, token)
        return raw._api_token_auth

    def authenticate_header(self, request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the schema describes ``Authorization: Token <key>``."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token <key> (an API token made in the admin or by create_api_token)",
        }
