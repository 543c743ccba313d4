"""Streamed CSV export of order lines: constant memory, first bytes at once.

On PostgreSQL the database writes the CSV itself (``COPY (SELECT …) TO STDOUT``) and the
bytes are passed on as they arrive; elsewhere rows come from a chunked iterator through
Python's csv module. Text cells that a spreadsheet would run as a formula are escaped in
the query with a leading ``'`` (foundation.resources.escape_formula does the same).
"""

import csv
import io
from collections.abc import Iterator

from django.db import connection
from django.db.models import CharField, F, Func, QuerySet, Value
from django.db.models.expressions import Case, When
from django.db.models.functions import Concat

from orders.models import OrderItem

HEADER = [
    "order_number",
    "status",
    "placed_at",
    "customer_email",
    "customer_name",
    "sku",
    "product_name",
    "quantity",
    "unit_price",
    "line_total",
    "order_total",
]
FORMULA_START = r"^[-=+@\t\r']"  # as foundation.resources.escape_formula


class TimestampText(Func):
    """The timestamp as 'YYYY-MM-DD HH:MM:SS' in UTC, as text."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="strftime('%%Y-%%m-%%d %%H:%%M:%%S', %(expressions)s)"
        )

    def as_mysql(self, compiler, connection, **extra):
        # Django keeps datetimes in UTC on MySQL/MariaDB (no time-zone tables needed). The
        # driver formats parameters with %, so each % of the format is written twice.
        return self.as_sql(
            compiler,
            connection,
            template="DATE_FORMAT(%(expressions)s, '%%%%Y-%%%%m-%%%%d %%%%H:%%%%i:%%%%s')",
        )


def _safe(expression) -> Case:
    return Case(
        When(**{f"{expression.name}__regex": FORMULA_START}, then=Concat(Value("'"), expression)),
        default=expression,
        output_field=CharField(),
    )


def order_line_rows(items: QuerySet[OrderItem]) -> QuerySet:
    """The export's columns as a values_list queryset, in HEADER order."""
    name = Concat(F("order__customer__first_name"), Value(" "), F("order__customer__last_name"))
    return (
        items.order_by()
        .annotate(
            x_name=Case(
                When(
                    order__customer__first_name__regex=FORMULA_START, then=Concat(Value("'"), name)
                ),
                default=name,
                output_field=CharField(),
            ),
            x_email=_safe(F("order__customer__email")),
            x_sku=_safe(F("product__sku")),
            x_product=_safe(F("product__name")),
            x_placed=TimestampText(F("order__placed_at")),
            x_line_total=F("quantity") * F("unit_price"),
        )
        .order_by("-order_id", "id")
        .values_list(
            "order__number",
            "order__status",
            "x_placed",
            "x_email",
            "x_name",
            "x_sku",
            "x_product",
            "quantity",
            "unit_price",
            "x_line_total",
            "order__total",
        )
    )


def stream_order_lines_csv(items: QuerySet[OrderItem], chunk_size: int = 5000) -> Iterator[bytes]:
    """Yield the CSV (header first) of ``items`` in pieces."""
    yield (",".join(HEADER) + "\r\n").encode()
    rows = order_line_rows(items)
    if connection.vendor == "postgresql":
        sql, params = rows.query.sql_with_params()
        copy_sql = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
        # psycopg's own cursor: Django's debug wrapper (DEBUG=1) drops COPY parameters.
        with connection.cursor() as wrapper, wrapper.cursor.copy(copy_sql, params) as copy:
            for data in copy:
                yield bytes(data)
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for n, row in enumerate(rows.iterator(chunk_size=chunk_size), 1):
        writer.writerow(_plain(row))
        if n % chunk_size == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _plain(row: tuple) -> tuple:
    # SQLite returns the line total as a float-ish Decimal; give two decimals like PostgreSQL.
    values = list(row)
    for index in (8, 9, 10):
        if values[index] is not None:
            values[index] = f"{values[index]:.2f}"
    return tuple(values)
