"""Views outside the admin: the health check, the login lockout page, the error pages,
stored pictures."""

import os
from pathlib import Path
from uuid import uuid4

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import DatabaseError, connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET


def _database_up() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


def _cache_up() -> bool:
    key, value = "healthz", uuid4().hex
    try:
        cache.set(key, value, 30)
        return cache.get(key) == value
    except Exception:  # any backend's connection error (database, Redis)
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database and the cache answer, 503 when either does not."""
    database, shared_cache = _database_up(), _cache_up()
    up = database and shared_cache
    return JsonResponse(
        {
            "status": "ok" if up else "unavailable",
            "database": "up" if database else "down",
            "cache": "up" if shared_cache else "down",
        },
        status=200 if up else 503,
    )


def locked_out(request: HttpRequest, credentials: dict | None = None, *args, **kwargs):
    """django-axes' lockout response: a styled page that says what happened (HTTP 429)."""
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed logins",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "admin/backoffice/locked.html", context, status=429)


# status -> (page title, the one sentence that says what happened and what to do)
ERROR_PAGES = {
    403: (
        "Not allowed",
        "Your role may not open this page. Ask an administrator if your work needs it; the "
        "links in the sidebar are the pages your role can open.",
    ),
    404: (
        "Page not found",
        "There is no page at this address: the record may have been deleted, or the link "
        "is mistyped. The sidebar leads to every list.",
    ),
}


def _in_admin(request: HttpRequest) -> bool:
    return request.path.startswith(reverse("admin:index"))


def _admin_error(request: HttpRequest, status: int):
    """An error page in the admin's frame: the sidebar and header for signed-in staff,
    the login page's plain frame for anybody else."""
    title, sentence = ERROR_PAGES[status]
    staff = request.user.is_active and request.user.is_staff
    context = {
        **admin.site.each_context(request),
        "title": title,
        "sentence": sentence,
        "status": status,
        "frame": "admin/base_site.html" if staff else "unfold/layouts/unauthenticated.html",
    }
    return render(request, "admin/backoffice/error.html", context, status=status)


def permission_denied(request: HttpRequest, exception: Exception | None = None):
    """A refused admin page (HTTP 403) in the admin's frame, with a way back; elsewhere
    (the API answers its own refusals) Django's plain page."""
    if not _in_admin(request):
        return defaults.permission_denied(request, exception)
    return _admin_error(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None):
    """A missing admin page (HTTP 404) in the admin's frame; elsewhere Django's page."""
    if not _in_admin(request):
        return defaults.page_not_found(request, exception)
    return _admin_error(request, 404)


SERVER_ERROR_FALLBACK = (
    "<!doctype html><title>Server error</title><h1>Server error (500)</h1>"
    "<p>Something went wrong on our side. The error was logged; try again in a moment.</p>"
)


@requires_csrf_token
def server_error(request: HttpRequest):
    """HTTP 500 in the admin's look, without the database or the request's context: the
    database, a context processor or the session may be what failed. Only the stylesheet
    links and the dashboard's address are put in; the template uses no other tag."""
    if not _in_admin(request):
        return defaults.server_error(request)
    try:
        body = loader.get_template("admin/backoffice/server_error.html").render(
            {
                "stylesheets": [
                    static("unfold/fonts/inter/styles.css"),
                    static("unfold/css/styles.css"),
                ],
                "dashboard": reverse("admin:index"),
            }
        )
    except Exception:  # the page that reports a failure must not fail itself
        body = SERVER_ERROR_FALLBACK
    return HttpResponseServerError(body)


MEDIA_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


@never_cache
@require_GET
def media(request: HttpRequest, name: str) -> FileResponse:
    """Serve a stored picture from the local media folder to signed-in staff.

    Only used when files are on local disk (MEDIA_ROOT); with S3 storage the links point
    at the bucket. Only the picture types the upload check writes are served.
    """
    if not (request.user.is_active and request.user.is_staff):
        raise Http404
    suffix = Path(name).suffix.lower()
    if suffix not in MEDIA_TYPES or not isinstance(default_storage, FileSystemStorage):
        raise Http404
    try:
        path = default_storage.path(name)
    except SuspiciousFileOperation:
        raise Http404 from None
    if not os.path.isfile(path):
        raise Http404
    # FileResponse closes the file once it is sent.
    response = FileResponse(default_storage.open(name, "rb"), content_type=MEDIA_TYPES[suffix])
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
