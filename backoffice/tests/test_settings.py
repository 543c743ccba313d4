"""The settings module read with different environments, in isolation (runpy)."""

import runpy
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS = Path(__file__).resolve().parents[1] / "settings.py"


def load(monkeypatch, **env) -> dict:
    for name in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "ENVIRONMENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_settings_without_database_url_use_sqlite(monkeypatch):
    settings = load(monkeypatch)
    db = settings["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"].endswith("db.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_settings_with_postgres_url_use_psycopg_pool(monkeypatch):
    settings = load(monkeypatch, DATABASE_URL="postgres://shop:secret@db.internal:5433/store")
    db = settings["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["HOST"], db["PORT"]) == (
        "store",
        "shop",
        "db.internal",
        5433,
    )
    assert db["CONN_MAX_AGE"] == 0
    assert db["OPTIONS"]["pool"]["max_size"] == 16


def test_settings_refuse_missing_secret_key_in_production(monkeypatch):
    monkeypatch.delitem(sys.modules, "pytest")  # as under gunicorn: not a test run
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        load(monkeypatch, DEBUG="0")


def test_settings_production_are_hardened(monkeypatch):
    monkeypatch.delitem(sys.modules, "pytest")  # as under gunicorn: not a test run
    settings = load(monkeypatch, DEBUG="0", SECRET_KEY="x" * 60, ALLOWED_HOSTS="shop.example.com")
    assert settings["ALLOWED_HOSTS"] == ["shop.example.com"]
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SESSION_COOKIE_SECURE"] and settings["CSRF_COOKIE_SECURE"]
    assert settings["SESSION_COOKIE_HTTPONLY"] and settings["CSRF_COOKIE_HTTPONLY"]
    assert settings["SESSION_COOKIE_SAMESITE"] == settings["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert settings["SESSION_COOKIE_AGE"] == 8 * 3600
    assert settings["AXES_FAILURE_LIMIT"] == 5
    assert settings["SECURE_HSTS_SECONDS"] >= 31536000
    assert settings["STORAGES"]["staticfiles"]["BACKEND"].startswith("whitenoise.")
    assert settings["ENVIRONMENT_NAME"] == "PRODUCTION"
