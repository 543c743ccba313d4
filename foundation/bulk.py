"""Fast bulk writes: COPY on PostgreSQL, the driver's batched inserts elsewhere.

For the large paths only (imports, seeding): these write rows as they are given, with no
save(), no signals and no history, so callers write history and ledger rows themselves.
Values go to the driver as they are (str, int, bool, Decimal, None); only datetimes are
converted the way Django stores them (naive UTC on MySQL and SQLite).
"""

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice

from django.db import connection
from django.db.models import Model

BATCH = 2000


def key_chunks(
    keys: Sequence, column: str, *, chunk: int = 5000, db=connection
) -> Iterator[tuple[str, list]]:
    """``(condition, params)`` selecting the rows whose ``column`` is in ``keys``, by chunk.

    PostgreSQL takes the keys as one array parameter (``= ANY(%s)``): one statement per
    100,000 keys, and no placeholder per key for the driver to parse (about 0.3 s per 100k
    keys). Elsewhere an ``IN`` list of at most ``chunk`` placeholders per statement.
    """
    keys = list(keys)
    if db.vendor == "postgresql":
        # Arrays of at most 100,000 keys: the driver builds each in memory.
        for start in range(0, len(keys), 100_000):
            yield f"{column} = ANY(%s)", [keys[start : start + 100_000]]
        return
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        yield f"{column} IN ({', '.join(['%s'] * len(part))})", part


def bulk_insert(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, column names as in the table)."""
    count = 0
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    # Elsewhere the driver batches the rows itself (mysqlclient rewrites an INSERT of many
    # rows into multi-row statements; sqlite3 binds one prepared statement): far less
    # work per value than compiling model instances with bulk_create.
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
    adapted: dict[datetime, object] = {}  # a bulk write mostly repeats one timestamp

    def value(v):
        if isinstance(v, datetime):
            if v not in adapted:
                adapted[v] = connection.ops.adapt_datetimefield_value(v)
            return adapted[v]
        return v

    with connection.cursor() as cursor:
        for batch in _batches(rows, BATCH):
            cursor.executemany(sql, [tuple(map(value, row)) for row in batch])
            count += len(batch)
    return count


def _batches(rows: Iterable[Sequence], size: int) -> Iterator[list[Sequence]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def bulk_update_columns(
    model: type[Model], columns: Sequence[str], rows: Sequence[Sequence]
) -> None:
    """Set ``columns`` for each row ``(pk, *values)``; one statement per chunk on PostgreSQL."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        fields = {f.column: f for f in model._meta.concrete_fields}
        types = [fields["id"].db_type(connection)] + [
            fields[c].db_type(connection) for c in columns
        ]
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        names = ", ".join(["id", *columns])
        sets = ", ".join(f"{c} = v.{c}" for c in columns)
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 10000):
                chunk = rows[start : start + 10000]
                cursor.execute(
                    f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v({names}) "
                    "WHERE t.id = v.id",
                    [list(col) for col in zip(*chunk, strict=True)],
                )
        return
    attnames = {f.column: f.attname for f in model._meta.concrete_fields}
    objs = []
    for pk, *values in rows:
        obj = model(pk=pk)
        for column, value in zip(columns, values, strict=True):
            setattr(obj, attnames[column], value)
        objs.append(obj)
    model.objects.bulk_update(objs, [attnames[c] for c in columns], batch_size=500)
