"""Pieces every app's API shares: the JSON parser, permissions, throttling, pagination, ETags.

The apps' serializers and views live in ``catalog.api`` and ``orders.api``; the router,
authentication, idempotency and the mapping of domain errors to status codes are the top
layer's (``backoffice.api``).
"""

import hashlib
import json
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.utils.module_loading import import_string
from rest_framework import exceptions, parsers, permissions, throttling
from rest_framework.pagination import CursorPagination
from rest_framework.settings import api_settings

from foundation.text import ascii_digits

NUL_MESSAGE = "Contains a NUL character."
SURROGATE_MESSAGE = "Contains a character that is not text (a lone UTF-16 surrogate)."


def nest(path: Iterable, message) -> dict:
    """Return ``{"lines": {"0": {"sku": [message]}}}`` for the path ("lines", 0, "sku")."""
    parts = [str(part) for part in path] or ["non_field_errors"]
    error: dict | list = [message]
    for part in reversed(parts):
        error = {part: error}
    return error


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None: a NUL (PostgreSQL refuses it) or a
    lone surrogate (``"\\ud800"`` in JSON; no database encoding can hold it)."""
    if "\x00" in value:
        return NUL_MESSAGE
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            return SURROGATE_MESSAGE
    return None


def checked_text(value: str, field: str) -> str:
    """``value`` (from an address or a query string), or a 400 naming ``field``."""
    if (problem := text_problem(value)) is not None:
        raise exceptions.ValidationError({field: [problem]})
    return value


def _find_bad_text(value, path: tuple = ()) -> tuple[tuple, str] | None:
    if isinstance(value, str):
        problem = text_problem(value)
        return None if problem is None else (path, problem)
    if isinstance(value, dict):
        for key, item in value.items():
            if (problem := text_problem(str(key))) is not None:
                shown = str(key).encode("unicode_escape").decode("ascii")
                return (*path, shown), problem
            found = _find_bad_text(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_bad_text(item, (*path, index))
            if found is not None:
                return found
    return None


class JSONParser(parsers.JSONParser):
    """JSON bodies only; a NUL character or a lone surrogate anywhere is a 400 naming the
    field.

    No field of the application can hold either: PostgreSQL refuses a NUL in text, and no
    database encoding can hold a surrogate.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
            found = _find_bad_text(data)
        except RecursionError:
            # json and _find_bad_text recurse per level: a body of many "[" would be a 500.
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
        if found is not None:
            path, problem = found
            code = "nul_character" if problem == NUL_MESSAGE else "invalid_text"
            raise exceptions.ValidationError(nest(path, problem), code=code)
        return data


class ModelPermissions(permissions.DjangoModelPermissions):
    """The roles' model permissions, reading included (``view_<model>`` for GET).

    A view may name its own with ``required_permissions = {"POST": ["catalog.adjust_stock"]}``
    (methods it does not name need none beyond being logged in).
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        required = getattr(view, "required_permissions", None)
        if required is not None:
            return user.has_perms(required.get(request.method, []))
        return super().has_permission(request, view)


class TokenOrUserThrottle(throttling.SimpleRateThrottle):
    """Requests per API token (rate "token"), per user (rate "user"), or per address ("anon").

    Counted in the shared cache, so every web process sees the same counts: one counter per
    client and window of the rate's period (a minute for "/min"). In Redis, the cache of
    production, the counter is raised atomically; in another cache it is read and written
    back, and requests at the same moment may count once. DRF's own throttle keeps a list
    of every request's time, read and written back whole even in Redis: two processes
    writing at once lose each other's requests, and at 12,000 requests a minute each
    request moved a list of 12,000 times through the cache.
    """

    scope = "user"

    def __init__(self) -> None:  # the rate depends on the request (allow_request)
        pass

    def allow_request(self, request, view) -> bool:
        ident = getattr(request.auth, "throttle_ident", None)
        if ident is not None:
            self.scope = "token"
        elif request.user and request.user.is_authenticated:
            self.scope, ident = "user", str(request.user.pk)
        else:
            self.scope = "anon"
            ident = import_string(settings.AXES_CLIENT_IP_CALLABLE)(request) or "unknown"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        now = self.timer()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        key = self.cache_format % {"scope": self.scope, "ident": f"{ident}:{window}"}
        return self._count(key, self.duration + 1) <= self.num_requests

    def _count(self, key: str, timeout: int) -> int:
        """Add one to the window's counter (made by its first request, then dropped by
        the cache after ``timeout`` seconds) and return it."""
        cache = caches[DEFAULT_CACHE_ALIAS]  # what DRF's throttles count in
        if isinstance(cache, RedisCache):
            # Both commands in one round trip, through the redis-py client that Django's
            # RedisCache keeps (as ``_cache``). Through the cache API, add and incr are
            # three round trips (incr checks that the key exists first), on every request.
            stored = cache.make_and_validate_key(key)
            client = cache._cache.get_client(stored, write=True)
            _, count = client.pipeline().set(stored, 0, ex=timeout, nx=True).incr(stored).execute()
            return count
        # Not cache.incr: elsewhere than Redis it writes the value back with the cache's
        # default timeout (hours), and the counters of every client and minute would pile
        # up and push other entries (import previews) out of a bounded cache.
        count = (cache.get(key) or 0) + 1
        cache.set(key, count, timeout=timeout)
        return count

    def wait(self) -> float:
        return self.wait_seconds

    def get_rate(self) -> str:
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]  # read now: tests change it


class Cursor(CursorPagination):
    """Cursor pages in a stable order (``ordering`` of the view), for incremental sync."""

    page_size_query_param = "page_size"

    def __init__(self) -> None:
        self.page_size = settings.API_PAGE_SIZE
        self.max_page_size = settings.API_MAX_PAGE_SIZE

    def get_ordering(self, request, queryset, view):
        return view.cursor_ordering


def quoted(value: str) -> str:
    return f'"{value}"'


def content_etag(data) -> str:
    """An ETag from a representation: changes whenever any of its values does."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return quoted(hashlib.sha256(text.encode()).hexdigest()[:32])


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_detail = "The object changed since you read it: GET it again for the new ETag."
    default_code = "precondition_failed"


def check_if_match(request, current_etag: str) -> None:
    """Raise 412 when the request's If-Match names none of the object's current ETag.

    Without If-Match the write goes ahead (the header is optional); ``*`` matches anything.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return
    wanted = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    if "*" in wanted or current_etag in wanted:
        return
    raise PreconditionFailed()


def expected_version(request) -> int | None:
    """The version an If-Match of ``"<number>"`` names (orders' ETags), or None."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not ascii_digits(value):
        raise PreconditionFailed()
    return int(value)
