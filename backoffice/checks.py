"""System checks of this deployment's own settings (`manage.py check --deploy`)."""

import ipaddress

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_proxy_settings(app_configs, **kwargs) -> list:
    """Warn when forwarded headers are believed from anybody; refuse a malformed list."""
    problems = []
    for proxy in settings.TRUSTED_PROXIES:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            problems.append(
                Error(
                    f"TRUSTED_PROXIES has {proxy!r}, which is neither an IP address nor a network.",
                    id="backoffice.E001",
                )
            )
    if settings.BEHIND_PROXY and not settings.TRUSTED_PROXIES:
        problems.append(
            Warning(
                "BEHIND_PROXY is on and TRUSTED_PROXIES is empty: X-Forwarded-For and "
                "X-Forwarded-Proto are believed from any address. A client that reaches "
                "gunicorn directly can forge its address (and lock out another's).",
                hint="Set TRUSTED_PROXIES to your proxies' addresses or network "
                "(e.g. 10.0.0.0/8), or make gunicorn reachable only through the proxy.",
                id="backoffice.W001",
            )
        )
    if settings.BEHIND_PROXY and settings.TRUSTED_PROXY_COUNT < 1:
        problems.append(
            Warning(
                "BEHIND_PROXY is on but TRUSTED_PROXY_COUNT is below 1: the client's address "
                "is never read from X-Forwarded-For, so every login counts against the proxy.",
                id="backoffice.W002",
            )
        )
    return problems
