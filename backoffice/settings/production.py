"""Production: DEBUG off, HTTPS, compressed static files, a secret key from the environment."""

from django.core.exceptions import ImproperlyConfigured

from backoffice.settings.base import *  # noqa: F403
from backoffice.settings.base import SECRET_KEY

if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: export SECRET_KEY=<a long random string> in production, or "
        "on a developer's machine export DJANGO_SETTINGS_MODULE=backoffice.settings.development"
    )
