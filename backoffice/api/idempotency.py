"""``Idempotency-Key`` on POST: the same key and body answer the first response again.

The key is claimed with one INSERT that ignores a duplicate, in the same transaction as the
write it guards. A second request with the key waits on the unique index until the first
commits, then replays its answer; if the first was refused (any answer but 2xx) its
transaction, claim included, is rolled back, so a corrected retry with the same key is
not blocked by a refusal. The same key with another body (or path) is refused with 422.
"""

import hashlib
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings

from backoffice.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADERS = ("Content-Type", "ETag", "Location")


def _user(request: HttpRequest):
    """The API user of ``request``, or None (the view itself then answers 401 or 403)."""
    authenticators = [cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    try:
        user = Request(request, authenticators=authenticators).user
    except APIException:
        return None
    return user if user.is_authenticated else None


def _claim(user_id: int, key: str, request_digest: str) -> bool:
    """Insert the key's row unless it exists; True if this request inserted it."""
    table = connection.ops.quote_name(IdempotencyKey._meta.db_table)
    columns = "(user_id, key, request_digest, status, body, headers, created_at)"
    if connection.vendor == "mysql":
        columns = columns.replace("key", "`key`")
        sql = f"INSERT IGNORE INTO {table} {columns} VALUES (%s, %s, %s, 0, '', '{{}}', %s)"
    else:  # PostgreSQL and SQLite
        columns = columns.replace("key", '"key"')
        sql = (
            f"INSERT INTO {table} {columns} VALUES (%s, %s, %s, 0, '', '{{}}', %s) "
            'ON CONFLICT (user_id, "key") DO NOTHING'
        )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, key, request_digest, now])
        return cursor.rowcount == 1


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(row.body, status=row.status)
    for name, value in row.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _refuse(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


def idempotent(view):
    """Wrap an API view: POSTs with an Idempotency-Key run at most once per user and key."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return view(request, *args, **kwargs)
        if not key.strip() or len(key) > 255 or not key.isprintable():
            return _refuse(400, "invalid_idempotency_key", "Use 1 to 255 printable characters.")
        user = _user(request)
        if user is None:
            return view(request, *args, **kwargs)
        request_digest = hashlib.sha256(
            b"\n".join([request.get_full_path().encode(), request.body])
        ).hexdigest()
        with transaction.atomic():
            expired = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
            IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=expired).delete()
            if not _claim(user.pk, key, request_digest):
                row = IdempotencyKey.objects.get(user=user, key=key)
                if row.request_digest != request_digest:
                    return _refuse(
                        422,
                        "idempotency_key_reused",
                        f"The key {key[:60]!r} was used for another request; use a new key.",
                    )
                return _replay(row)
            response = view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            if 200 <= response.status_code < 300:
                IdempotencyKey.objects.filter(user=user, key=key).update(
                    status=response.status_code,
                    body=response.content.decode(),
                    headers={h: response[h] for h in REPLAYED_HEADERS if response.has_header(h)},
                )
            else:
                transaction.set_rollback(True)  # nothing of a refused request is kept
        return response

    return wrapper


def idempotency_keys_expire() -> int:
    """Delete keys older than API_IDEMPOTENCY_HOURS; return how many."""
    expired = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=expired).delete()
    return deleted
