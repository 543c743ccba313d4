"""The test suite: production's settings over plain HTTP, with fast password hashing."""

from backoffice.settings.base import *  # noqa: F403
from backoffice.settings.base import STORAGES

SECRET_KEY = "test-only-secret-key-never-use-elsewhere"
ENVIRONMENT_NAME = "TEST"

# Fast hashing for the test suite; PBKDF2 stays listed so fixtures' hashes still verify.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# The test client talks plain HTTP, and pytest-django runs without collected static files.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DASHBOARD_CACHE_SECONDS = 0
