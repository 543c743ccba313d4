"""Settings every environment shares, read from the environment.

Not used on its own: ``production``, ``development`` and ``test`` (this package) start
from here and add what differs (secrets, HTTPS, static files, password hashing).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# "DEVELOPMENT", "STAGING" or "PRODUCTION": shown as a badge in the admin header.
ENVIRONMENT_NAME = os.environ.get("ENVIRONMENT_NAME", "PRODUCTION")

INSTALLED_APPS = [
    # Unfold and its contrib apps must come before django.contrib.admin, import_export and
    # simple_history, or their templates win and pages render unstyled.
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.inlines",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Local. foundation comes before import_export so that its all-or-nothing
    # `manage.py import` and streamed `manage.py export` commands replace the library's.
    "foundation",
    "backoffice",
    # Third party
    "import_export",
    "simple_history",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Local
    "catalog",
    "orders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (below).
    "foundation.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A NUL character in a query or form field is answered with 400, before any view.
    "foundation.middleware.RefuseNulCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the acting user on every history row.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Refuses logins after too many failures (must come last).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out username or address is refused before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the apps' folders: these override Unfold's and import-export's templates.
        "DIRS": [BASE_DIR / "backoffice" / "templates", BASE_DIR / "foundation" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite file in the project folder unless DATABASE_URL is set.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # psycopg's pool replaces persistent connections; it needs CONN_MAX_AGE = 0.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 1),
            "max_size": env_int("DB_POOL_MAX_SIZE", 16),
            "timeout": env_int("DB_POOL_TIMEOUT", 10),
        }
    elif DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
        # MySQL/MariaDB: persistent connections (mysqlclient has no pool), checked before
        # reuse; utf8mb4 for every character; strict mode so bad data is an error, never
        # silently truncated; READ COMMITTED like PostgreSQL (fewer gap-lock deadlocks).
        DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {
                "charset": "utf8mb4",
                "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
                "isolation_level": "read committed",
            }
        )
        DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
        # No expression indexes here: the case-insensitive collation of Product.sku gives
        # the rule that the UPPER(sku) constraint gives elsewhere (SKUs ignore case).
        SILENCED_SYSTEM_CHECKS = ["models.W044"]
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                # Writers take the lock at BEGIN and wait for it instead of failing mid-way.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
AUTH_USER_MODEL = "backoffice.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

# The cache is shared by every web process (import files wait here between preview and
# confirm), so it lives in the database rather than in one process's memory.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "backoffice_cache",
        "TIMEOUT": 60 * 60 * 6,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}
# With REDIS_URL the cache is Redis (redis-py with the hiredis parser) and sessions are
# written through it to the database (cached_db). Every key carries CACHE_KEY_PREFIX, so
# one Redis database can be shared; nothing here ever calls cache.clear() (on Redis it
# would empty the whole database, other applications' keys included).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "backoffice"),
            "TIMEOUT": 60 * 60 * 6,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# One date format everywhere ("21 Nov 2026, 08:32"): backoffice/formats/en/formats.py.
FORMAT_MODULE_PATH = ["backoffice.formats"]
# The store's one currency (an ISO 4217 code), shown on every amount (foundation.display).
STORE_CURRENCY = os.environ.get("STORE_CURRENCY", "EUR").strip().upper()
if not (len(STORE_CURRENCY) == 3 and STORE_CURRENCY.isalpha()):
    raise ImproperlyConfigured(f"STORE_CURRENCY must be a code such as EUR: {STORE_CURRENCY!r}")
# The store's name, on the dashboard's heading and on packing slips and invoices.
STORE_NAME = os.environ.get("STORE_NAME", "").strip() or "Our store"

STATIC_URL = "static/"
# Where `collectstatic` builds the files and their manifest (the benchmark builds its own).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Product pictures on S3-compatible object storage when a bucket is named, so that every
# web server sees the same files; the credentials come from the usual variables
# (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), read by boto3 itself.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
            # Pictures are private to the bucket: links are signed and expire.
            "default_acl": None,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", True),
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 3600),
            "file_overwrite": False,
        },
    }
# Uploaded pictures: at most this many bytes, and this many pixels (checked before decoding).
PRODUCT_IMAGE_MAX_BYTES = env_int("PRODUCT_IMAGE_MAX_BYTES", 8 * 1024 * 1024)
PRODUCT_IMAGE_MAX_PIXELS = env_int("PRODUCT_IMAGE_MAX_PIXELS", 40_000_000)

# The dashboard's figures are computed at most once per this many seconds per role.
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 60)

# Imports read at most this many columns and rows, and show this many errors (with a
# count of each kind); see docs/csv-formats.md, "Limits".
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 50)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 1_000_000)
IMPORT_MAX_ROWS_ROW_BY_ROW = env_int("IMPORT_MAX_ROWS_ROW_BY_ROW", 50_000)
IMPORT_ERRORS_SHOWN = env_int("IMPORT_ERRORS_SHOWN", 20)
# Orders in one orders file (the CSV order import writes them in one transaction).
IMPORT_MAX_ORDERS = env_int("IMPORT_MAX_ORDERS", 1000)
IMPORT_ERRORS_KEPT = env_int("IMPORT_ERRORS_KEPT", 1000)

# Uploads (imports) above this size are refused (docs/csv-formats.md, "Limits").
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
IMPORT_MAX_FILE_SIZE = env_int("IMPORT_MAX_FILE_SIZE", 20 * 1024 * 1024)

# Sessions: staff are logged out after SESSION_COOKIE_AGE seconds (default 8 hours).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 8)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script of the admin reads it; forms carry the token
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# HTTPS hardening: on by default; the development and test settings turn it off.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Off by default: then X-Forwarded-For and X-Forwarded-Proto are ignored, and nobody can
# forge an address. A deployment behind a proxy that ends TLS (Procfile platforms, a load
# balancer) says so with BEHIND_PROXY=1, and names its proxies in TRUSTED_PROXIES (IPs or
# networks): only requests from those are believed. `check --deploy` warns when a proxy is
# trusted without TRUSTED_PROXIES (backoffice.checks). See docs/deployment.md, "Security".
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
if BEHIND_PROXY:
    # The proxy ends TLS and says so in this header; without it every request would be
    # redirected to HTTPS forever.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz is probed over plain HTTP by load balancers.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# As strict as the admin allows: no inline script anywhere; Alpine (Unfold's interactivity)
# evaluates its attribute expressions, so 'unsafe-eval'; Unfold sets style attributes.
# Pictures may come from the S3 bucket (or its CDN domain).
_picture_origins = " ".join(
    origin
    for origin in (
        os.environ.get("AWS_S3_ENDPOINT_URL", ""),
        f"https://{os.environ['AWS_S3_CUSTOM_DOMAIN']}"
        if os.environ.get("AWS_S3_CUSTOM_DOMAIN")
        else "",
        "https://*.amazonaws.com" if AWS_STORAGE_BUCKET_NAME else "",
    )
    if origin
)
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    f"img-src 'self' data: {_picture_origins}".rstrip()
    + "; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
)
PERMISSIONS_POLICY = os.environ.get(
    "PERMISSIONS_POLICY",
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_traceback_for_4xx": {"()": "backoffice.logfilters.NoTracebackForClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Lockouts are logged as warnings; its INFO lines repeat on every successful login.
        "axes": {"level": "WARNING"},
        # A refused or missing page is one line ("Forbidden (Permission denied): /admin/…").
        "django.request": {"filters": ["no_traceback_for_4xx"]},
    },
}

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for a username, or
# from an address, further attempts are refused for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "backoffice.views.locked_out"
AXES_VERBOSE = False
# Behind a router every request comes from the router's address: backoffice.security reads
# the client's from X-Forwarded-For, or one person's typos would lock out the whole staff.
AXES_CLIENT_IP_CALLABLE = "backoffice.security.client_ip"
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)

# django-simple-history
SIMPLE_HISTORY_REVERT_DISABLED = False
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# django-import-export
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Without these any staff user, even one with no permission at all, can import and export.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Preview and confirm may reach different processes: keep the file in the shared cache.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "foundation.previews.PreviewStorage"
# How long an import preview waits for its confirm, and how many one user may keep.
IMPORT_PREVIEW_SECONDS = env_int("IMPORT_PREVIEW_SECONDS", 60 * 60)
IMPORT_PREVIEWS_PER_USER = env_int("IMPORT_PREVIEWS_PER_USER", 3)
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False  # we escape formulae ourselves (prefix ')

# Integration API (docs/api.md): Django REST Framework under API_PATH_PREFIX, JSON only.
API_PATH_PREFIX = "/api/"
# Requests per minute, counted in the shared cache: per API token, per user otherwise
# (JWT, session), and per address for the anonymous JWT login.
API_RATE_TOKEN = os.environ.get("API_RATE_TOKEN", "12000/min")
API_RATE_USER = os.environ.get("API_RATE_USER", "1200/min")
API_RATE_ANON = os.environ.get("API_RATE_ANON", "60/min")
# Idempotency keys (and the answers they replay) are kept at least this many hours.
API_IDEMPOTENCY_HOURS = env_int("API_IDEMPOTENCY_HOURS", 24)
# A token's last_used_at is written at most once per this many seconds (not per request).
API_TOKEN_TOUCH_SECONDS = env_int("API_TOKEN_TOUCH_SECONDS", 60)
API_BULK_MAX_ITEMS = env_int("API_BULK_MAX_ITEMS", 10_000)
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 100)
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 1000)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["foundation.api.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backoffice.api.authentication.ApiTokenAuthentication",
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        # The interactive docs (and a logged-in staff member's browser), CSRF enforced.
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["foundation.api.ModelPermissions"],
    "DEFAULT_THROTTLE_CLASSES": ["foundation.api.TokenOrUserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": API_RATE_TOKEN,
        "user": API_RATE_USER,
        "anon": API_RATE_ANON,
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "backoffice.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNICODE_JSON": True,
    "COERCE_DECIMAL_TO_STRING": True,
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env_int("JWT_REFRESH_HOURS", 24)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Store back-office API",
    "DESCRIPTION": "Products, stock, customers and orders for storefronts, ERPs and "
    "marketplaces. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Served by the app itself (drf-spectacular-sidecar): no CDN, and the CSP allows it.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.OrderStatus",
        "NewOrderStatusEnum": ["pending", "paid"],
    },
}

UNFOLD = {
    "SITE_TITLE": _("Store back-office"),
    "SITE_HEADER": _("Store back-office"),
    "SITE_SYMBOL": "storefront",
    "SITE_FAVICONS": [
        {
            "rel": "icon",
            "type": "image/svg+xml",
            "href": lambda request: static("backoffice/favicon.svg"),
        }
    ],
    "STYLES": [lambda request: static("backoffice/admin.css")],
    "SITE_URL": None,
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_HISTORY": True,
    "ENVIRONMENT": "backoffice.admin_site.environment_callback",
    "DASHBOARD_CALLBACK": "backoffice.dashboard.dashboard_callback",
    # Ctrl+K finds orders, customers and products (bounded, indexed: backoffice/search.py);
    # Unfold's own model search reads whole tables and stays off.
    "COMMAND": {
        "search_models": False,
        "search_callback": "backoffice.search.search_callback",
    },
    # Saved views above the order and product lists (To pay, To ship… Out of stock, Low…).
    "TABS": "backoffice.admin_site.changelist_tabs",
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": "backoffice.admin_site.sidebar_navigation",
    },
}
