"""Fixtures shared by every app's tests: staff users per role, logged-in clients, markers."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

PASSWORD = "a-long-test-password-1"


def pytest_collection_modifyitems(config, items):
    engine = settings.DATABASES["default"]["ENGINE"]
    on_postgres = engine == "django.db.backends.postgresql"
    on_server = on_postgres or engine == "django.db.backends.mysql"
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    skip_server = pytest.mark.skip(reason="needs PostgreSQL or MariaDB (set DATABASE_URL)")
    skip_mysql = pytest.mark.skip(reason="needs MySQL or MariaDB (set DATABASE_URL)")
    for item in items:
        if "mysql" in item.keywords and engine != "django.db.backends.mysql":
            item.add_marker(skip_mysql)
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "server_db" in item.keywords and not on_server:
            item.add_marker(skip_server)


@pytest.fixture
def staff_password() -> str:
    """The password of every user that ``make_staff`` makes."""
    return PASSWORD


@pytest.fixture
def make_staff(django_user_model):
    """Return a factory: make_staff(role_name or None, superuser=False) -> User."""

    def make(role: str | None = None, *, superuser: bool = False, staff: bool = True, **extra):
        username = extra.pop("username", None) or (
            "super" if superuser else (role or "nogroup").lower().replace(" ", "-")
        )
        user = django_user_model.objects.create_user(
            username=username,
            password=PASSWORD,
            email=f"{username}@example.com",
            is_staff=staff or superuser,
            is_superuser=superuser,
            **extra,
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def superuser(make_staff):
    return make_staff(superuser=True)


@pytest.fixture
def client_for():
    """Return a function that logs a user into a fresh test client."""

    def login(user) -> Client:
        new_client = Client()
        new_client.force_login(user)
        return new_client

    return login


@pytest.fixture
def admin_client_super(client, superuser):
    """A test client logged in as a superuser (the built-in admin_client uses auth.User)."""
    client.force_login(superuser)
    return client


@pytest.fixture
def previews_kept():
    """Return a function counting import-preview entries in the cache (the database)."""
    from django.db import connection

    def count() -> int:
        table = connection.ops.quote_name("backoffice_cache")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {table} WHERE cache_key LIKE %s", ["%import-preview:%"]
            )
            return cursor.fetchone()[0]

    return count
