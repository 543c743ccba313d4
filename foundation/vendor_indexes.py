"""Search indexes that only one database vendor has, created by migrations.

PostgreSQL: Django's ``istartswith`` and ``icontains`` compare ``UPPER(column::text)``:
prefix searches need a pattern-ops B-tree on that expression, substring searches a
trigram GIN index (extension pg_trgm, which a database owner may create since 13).
MySQL/MariaDB: a FULLTEXT index answers word searches (foundation.search.text_query).
Elsewhere (SQLite) nothing is created.
"""

from django.db import transaction


def create(schema_editor, statements: list[str]) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def create_trigram(schema_editor, statements: list[str]) -> None:
    """Like create(), after making sure pg_trgm exists; skipped if it cannot be created."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:  # no privilege: name searches still work, without an index
            return
        for sql in statements:
            cursor.execute(sql)


def drop(schema_editor, names: list[str]) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


def create_mysql(schema_editor, statements: list[str]) -> None:
    if schema_editor.connection.vendor != "mysql":
        return
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def drop_mysql(schema_editor, table: str, names: list[str]) -> None:
    if schema_editor.connection.vendor != "mysql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP INDEX {name} ON {table}")
