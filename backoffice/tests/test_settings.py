"""The settings modules, each loaded with a controlled environment (runpy, or a subprocess).

Loading a module again with another environment needs ``base`` to run again too: the
helper takes it out of ``sys.modules`` for the duration of one test (monkeypatch puts the
suite's own module back afterwards).
"""

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import backoffice.settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_DIR = ROOT / "backoffice" / "settings"
STRONG_KEY = "k3y-" + "x" * 60


def load(monkeypatch, module: str, **env: str) -> dict:
    """Run ``backoffice.settings.<module>`` with exactly ``env`` as the environment."""
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("base", module):
        if f"backoffice.settings.{name}" in sys.modules:
            monkeypatch.setattr(backoffice.settings, name, getattr(backoffice.settings, name))
            monkeypatch.delitem(sys.modules, f"backoffice.settings.{name}")
    return runpy.run_module(f"backoffice.settings.{module}")


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``manage.py`` in a fresh process with only PATH, HOME and ``env`` set."""
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


# Production ------------------------------------------------------------------------------------


def test_production_settings_refuse_a_missing_secret_key(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is not set"):
        load(monkeypatch, "production")


def test_production_settings_are_hardened(monkeypatch):
    settings = load(
        monkeypatch, "production", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="shop.example.com"
    )
    assert settings["DEBUG"] is False
    assert settings["SECRET_KEY"] == STRONG_KEY
    assert settings["ALLOWED_HOSTS"] == ["shop.example.com"]
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SESSION_COOKIE_SECURE"] is True and settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] and settings["CSRF_COOKIE_HTTPONLY"]
    assert settings["SESSION_COOKIE_SAMESITE"] == settings["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert settings["SECURE_HSTS_SECONDS"] >= 31536000
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and settings["SECURE_HSTS_PRELOAD"]
    assert settings["X_FRAME_OPTIONS"] == "DENY"
    assert "script-src 'self' 'unsafe-eval';" in settings["CONTENT_SECURITY_POLICY"]
    assert "frame-ancestors 'none'" in settings["CONTENT_SECURITY_POLICY"]
    assert "camera=()" in settings["PERMISSIONS_POLICY"]
    assert settings["SESSION_COOKIE_AGE"] == 8 * 3600
    assert settings["AXES_FAILURE_LIMIT"] == 5
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert settings["ENVIRONMENT_NAME"] == "PRODUCTION"
    assert settings["IMPORT_EXPORT_IMPORT_PERMISSION_CODE"] == "add"


def test_production_settings_ignore_a_debug_variable(monkeypatch):
    settings = load(monkeypatch, "production", SECRET_KEY=STRONG_KEY, DEBUG="1")
    assert settings["DEBUG"] is False


def test_production_settings_trust_no_forwarded_header_unless_told(monkeypatch):
    settings = load(monkeypatch, "production", SECRET_KEY=STRONG_KEY)
    assert settings["BEHIND_PROXY"] is False  # the safe setting is the default
    assert "SECURE_PROXY_SSL_HEADER" not in settings
    assert settings["SECURE_SSL_REDIRECT"] is True
    proxied = load(
        monkeypatch,
        "production",
        SECRET_KEY=STRONG_KEY,
        BEHIND_PROXY="1",
        TRUSTED_PROXIES="10.0.0.0/8, 192.168.1.7",
    )
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert proxied["TRUSTED_PROXIES"] == ["10.0.0.0/8", "192.168.1.7"]


def test_production_settings_let_pictures_come_from_the_bucket(monkeypatch):
    settings = load(
        monkeypatch,
        "production",
        SECRET_KEY=STRONG_KEY,
        AWS_STORAGE_BUCKET_NAME="pictures",
        AWS_S3_ENDPOINT_URL="https://s3.example.net",
    )
    assert "img-src 'self' data: https://s3.example.net" in settings["CONTENT_SECURITY_POLICY"]


@pytest.mark.parametrize(
    "command", [["check"], ["migrate"], ["shell", "-c", "print(1)"], ["help"], []]
)
def test_manage_py_without_a_secret_key_prints_one_line_and_fails(command):
    result = run_manage(*command)  # production is manage.py's default
    assert result.returncode != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: SECRET_KEY is not set: export SECRET_KEY=")
    assert "DJANGO_SETTINGS_MODULE=backoffice.settings.development" in lines[0]


def test_manage_py_check_deploy_passes_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="backoffice.example.com",
        CSRF_TRUSTED_ORIGINS="https://backoffice.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


# Development -----------------------------------------------------------------------------------


def test_development_settings_have_debug_and_plain_static(monkeypatch):
    settings = load(monkeypatch, "development")
    assert settings["DEBUG"] is True
    assert settings["SECRET_KEY"].startswith("django-insecure-development")
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SESSION_COOKIE_SECURE"] is False and settings["CSRF_COOKIE_SECURE"] is False
    assert settings["SECURE_HSTS_SECONDS"] == 0
    assert settings["ENVIRONMENT_NAME"] == "DEVELOPMENT"


def test_development_settings_keep_a_given_secret_key_and_ignore_debug(monkeypatch):
    settings = load(monkeypatch, "development", SECRET_KEY=STRONG_KEY, DEBUG="0")
    assert settings["SECRET_KEY"] == STRONG_KEY
    assert settings["DEBUG"] is True


# Test ------------------------------------------------------------------------------------------


def test_test_settings_are_plain_http_with_fast_hashing(monkeypatch):
    settings = load(monkeypatch, "test")
    assert settings["DEBUG"] is False
    assert settings["SECRET_KEY"] and settings["ENVIRONMENT_NAME"] == "TEST"
    assert settings["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.MD5PasswordHasher"
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    assert settings["SECURE_SSL_REDIRECT"] is False and settings["SECURE_HSTS_SECONDS"] == 0
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["DASHBOARD_CACHE_SECONDS"] == 0


# Shared: the database ------------------------------------------------------------------------


def test_settings_without_database_url_use_sqlite(monkeypatch, tmp_path):
    settings = load(monkeypatch, "test")
    db = settings["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(ROOT / "db.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    other = load(monkeypatch, "test", SQLITE_PATH=str(tmp_path / "x.sqlite3"))
    assert other["DATABASES"]["default"]["NAME"] == str(tmp_path / "x.sqlite3")


def test_settings_with_postgres_url_use_psycopg_pool(monkeypatch):
    settings = load(
        monkeypatch,
        "production",
        SECRET_KEY=STRONG_KEY,
        DATABASE_URL="postgres://shop:secret@db.internal:5433/store",
        DB_POOL_MAX_SIZE="4",
    )
    db = settings["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "store",
        "shop",
        "secret",
        "db.internal",
        5433,
    )
    assert db["CONN_MAX_AGE"] == 0  # the pool needs it
    assert db["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 10}


def test_settings_with_mysql_url_use_persistent_checked_connections(monkeypatch):
    settings = load(
        monkeypatch,
        "production",
        SECRET_KEY=STRONG_KEY,
        DATABASE_URL="mysql://shop:secret@db.internal:3306/store",
    )
    db = settings["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.mysql"
    assert (db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"]) == (60, True)
    assert db["OPTIONS"]["charset"] == "utf8mb4"
    assert db["OPTIONS"]["isolation_level"] == "read committed"
    assert "STRICT_TRANS_TABLES" in db["OPTIONS"]["init_command"]
    assert settings["SILENCED_SYSTEM_CHECKS"] == ["models.W044"]


def test_settings_with_redis_url_use_redis_for_cache_and_sessions(monkeypatch):
    plain = load(monkeypatch, "production", SECRET_KEY=STRONG_KEY)
    assert plain["CACHES"]["default"]["BACKEND"].endswith("DatabaseCache")
    assert plain.get("SESSION_ENGINE", "django.contrib.sessions.backends.db").endswith(".db")
    settings = load(
        monkeypatch, "production", SECRET_KEY=STRONG_KEY, REDIS_URL="redis://cache:6379/2"
    )
    cache = settings["CACHES"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert (cache["LOCATION"], cache["KEY_PREFIX"]) == ("redis://cache:6379/2", "backoffice")
    assert settings["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


def test_settings_with_a_bucket_store_pictures_on_s3(monkeypatch):
    plain = load(monkeypatch, "production", SECRET_KEY=STRONG_KEY)
    assert plain["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")
    settings = load(
        monkeypatch,
        "production",
        SECRET_KEY=STRONG_KEY,
        AWS_STORAGE_BUCKET_NAME="shop-pictures",
        AWS_S3_ENDPOINT_URL="https://s3.example.net",
    )
    storage = settings["STORAGES"]["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "shop-pictures"
    assert storage["OPTIONS"]["endpoint_url"] == "https://s3.example.net"
    assert storage["OPTIONS"]["querystring_auth"] is True


def test_no_code_of_the_project_empties_the_whole_cache():
    # On Redis, cache.clear() flushes the whole database, other applications' keys too.
    call = re.compile(r"^[^#\n]*\bcache\.clear\(", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("backoffice", "catalog", "foundation", "orders", "tests")
        for path in (ROOT / package).rglob("*.py")
        if path.name != "test_settings.py" and call.search(path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize("path", sorted(SETTINGS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_settings_modules_do_not_sniff_the_running_program(path):
    source = path.read_text()
    assert "sys.modules" not in source and "sys.argv" not in source
