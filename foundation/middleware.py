"""Middleware every response passes through: odd requests refused, security headers added."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse


class NulCharacterInRequest(SuspiciousOperation):
    """A NUL character in a query string or form field (answered with 400)."""


class RefuseNulCharactersMiddleware:
    """Answer 400 to a request whose parameters contain a NUL character.

    No field of the application can hold one, and PostgreSQL refuses it in a query (a list
    filter like ``?status__exact=%00`` would otherwise end in a database error). Under
    ``API_PATH_PREFIX`` the answer is JSON, as every API answer is.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for query in (request.GET,) + ((request.POST,) if request.method == "POST" else ()):
            for key, values in query.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    name = key.replace("\x00", "\\u0000")[:40]
                    if request.path.startswith(settings.API_PATH_PREFIX):
                        return JsonResponse(
                            {"code": "nul_character", name: ["Contains a NUL character."]},
                            status=400,
                        )
                    raise NulCharacterInRequest(f"NUL character in parameter {name!r}")
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Add CONTENT_SECURITY_POLICY and PERMISSIONS_POLICY to every response without one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
