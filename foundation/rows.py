"""One row by a unique column, without building a queryset.

Every API request looks up its token (with the token's user), and every API order its
customer. As querysets, each of those two lookups took more CPU than the SQL it sends
(building and compiling the query; together about a fifth of an API order's time under
load). Here the statement is made once per model and the rows go through the same
converters a queryset applies, on every database.
"""

from collections.abc import Callable
from functools import cache

from django.db import connection
from django.db.models import Model

Part = tuple[type[Model], list[str], list[tuple[int, list[Callable], object]]]


@cache
def _statement(model: type[Model], column: str, related: str | None, vendor: str):
    """The SELECT of ``model`` (and of the model its foreign key ``related`` points to),
    and per model its field names and the converters of each value."""
    quote = connection.ops.quote_name
    tables: list[tuple[str, type[Model]]] = [("t0", model)]
    join = ""
    if related is not None:
        key = model._meta.get_field(related)
        target = key.related_model
        tables.append(("t1", target))
        join = (
            f" {'LEFT ' if key.null else ''}JOIN {quote(target._meta.db_table)} t1"
            f" ON t1.{quote(key.target_field.column)} = t0.{quote(key.column)}"
        )
    columns: list[str] = []
    parts: list[Part] = []
    for alias, table_model in tables:
        fields = table_model._meta.concrete_fields
        converters = []
        for index, field in enumerate(fields):
            col = field.get_col(alias)
            found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            if found:
                converters.append((index, found, col))
        columns += [f"{alias}.{quote(field.column)}" for field in fields]
        parts.append((table_model, [field.attname for field in fields], converters))
    where = quote(model._meta.get_field(column).column)
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(model._meta.db_table)} t0{join} "
        f"WHERE t0.{where} = %s"
    )
    return sql, parts


def row_by[M: Model](model: type[M], column: str, value, *, related: str | None = None) -> M | None:
    """``model.objects.select_related(related).filter(**{column: value}).first()``, for a
    ``column`` that is unique: the instance (its ``related`` object loaded), or None."""
    sql, parts = _statement(model, column, related, connection.vendor)
    field = model._meta.get_field(column)
    with connection.cursor() as cursor:
        cursor.execute(sql, [field.get_db_prep_value(value, connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    made = []
    start = 0
    for part_model, names, converters in parts:
        values = list(row[start : start + len(names)])
        start += len(names)
        for index, found, col in converters:
            for convert in found:
                values[index] = convert(values[index], col, connection)
        made.append(part_model.from_db(connection.alias, names, values))
    if related is not None:  # None for a null key (the LEFT JOIN found nothing)
        setattr(made[0], related, made[1] if made[1].pk is not None else None)
    return made[0]
