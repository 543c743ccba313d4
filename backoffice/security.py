"""The client's address, as far as this deployment can trust it (login throttling)."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """Return the address of the person making the request.

    Behind a proxy (``BEHIND_PROXY``) REMOTE_ADDR is the proxy itself, for everybody. Each
    of the ``TRUSTED_PROXY_COUNT`` proxies appends the address it received the request from
    to X-Forwarded-For, so the entry that many places from the right is the client as our
    own proxy saw it; entries further left were written by the client and can be forged.
    """
    remote = request.META.get("REMOTE_ADDR")
    if not settings.BEHIND_PROXY:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    count = settings.TRUSTED_PROXY_COUNT
    if count < 1 or len(forwarded) < count:
        return remote
    return forwarded[-count]
