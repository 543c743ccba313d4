"""The client's address, as far as this deployment can trust it (login throttling)."""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def from_trusted_proxy(remote: str | None) -> bool:
    """Whether the request came (directly) from a proxy whose headers we believe."""
    if not settings.BEHIND_PROXY:
        return False
    if not settings.TRUSTED_PROXIES:
        return True  # any address: `check --deploy` warns about this (backoffice.checks)
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str | None:
    """Return the address of the person making the request.

    Without a trusted proxy in front (``BEHIND_PROXY`` off, the default, or a request that
    did not come from one of ``TRUSTED_PROXIES``) it is REMOTE_ADDR, and X-Forwarded-For is
    ignored: anybody can write that header. Behind trusted proxies each of the
    ``TRUSTED_PROXY_COUNT`` appends the address it received the request from, so the entry
    that many places from the right is the client as our own proxy saw it; entries further
    left were written by the client and can be forged.
    """
    remote = request.META.get("REMOTE_ADDR")
    if not from_trusted_proxy(remote):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    count = settings.TRUSTED_PROXY_COUNT
    if count < 1 or len(forwarded) < count:
        return remote
    return forwarded[-count]
