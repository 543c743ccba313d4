"""A developer's machine (``make run``): DEBUG on, plain HTTP, a marked development key."""

import os

from backoffice.settings.base import *  # noqa: F403
from backoffice.settings.base import SECRET_KEY, STORAGES

DEBUG = True
# Development default only: the production settings refuse to start without a real key.
SECRET_KEY = SECRET_KEY or "django-insecure-development-only-never-use-in-production"
ENVIRONMENT_NAME = os.environ.get("ENVIRONMENT_NAME", "DEVELOPMENT")

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = False
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
