"""Streamed CSV and XLSX exports of order lines: constant memory, first bytes at once.

On PostgreSQL the database writes the CSV itself (``COPY (SELECT …) TO STDOUT``) and the
bytes are passed on as they arrive; elsewhere rows come from a chunked iterator through
Python's csv module. Text cells that a spreadsheet would run as a formula are escaped in
the query with a leading ``'`` (foundation.resources.escape_formula does the same).

The XLSX export's cells (``order_line_cells``) are those of OrderLineResource's own export:
on PostgreSQL read as text through the same COPY, elsewhere as values in chunks.
"""

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import UTC
from decimal import Decimal

from django.db import connection
from django.db.models import CharField, F, Func, QuerySet, Value
from django.db.models.expressions import Case, When
from django.db.models.functions import Concat

from foundation.resources import FORMULA_PREFIXES, escape_formula
from foundation.xlsx import NUMBER, TEXT
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


class TrimScale(Func):
    """A number as text without trailing zeros (19.90 -> 19.9, 20.00 -> 20), as openpyxl
    writes a Decimal ("%.16g")."""

    function = "trim_scale"
    output_field = CharField()


XLSX_KINDS = (TEXT,) * 7 + (NUMBER,) * 4
_CENT = Decimal("0.01")


def order_line_cells(
    items: QuerySet[OrderItem], chunk_size: int = 5000
) -> tuple[Iterator[Sequence], Sequence[str] | None]:
    """The XLSX cells of ``items``, in HEADER order, and their kinds (None: Python values).

    The same values as OrderLineResource's export for a binary format: text escaped by
    ``escape_formula``, the customer's ``full_name``, numbers as numbers.
    """
    items = items.order_by("-order_id", "id")
    if connection.vendor == "postgresql":
        return _copied_cells(items), XLSX_KINDS
    return _fetched_cells(items, chunk_size), None


def _copied_cells(items: QuerySet[OrderItem]) -> Iterator[tuple]:
    rows = items.annotate(
        x_placed=TimestampText(F("order__placed_at")),
        x_price=TrimScale(F("unit_price")),
        x_line_total=TrimScale(F("quantity") * F("unit_price")),
        x_total=TrimScale(F("order__total")),
    ).values_list(
        "order__number",
        "order__status",
        "x_placed",
        "order__customer__email",
        "order__customer__first_name",
        "order__customer__last_name",
        "product__sku",
        "product__name",
        "quantity",
        "x_price",
        "x_line_total",
        "x_total",
    )
    sql, params = rows.query.sql_with_params()
    # escape_formula, written out: a call per cell would cost a tenth of the export's time.
    risky = (*FORMULA_PREFIXES, "'")
    with (
        connection.cursor() as wrapper,
        wrapper.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy,
    ):
        # The server sends one message per row; csv reads a quoted newline inside one.
        for number, status, placed, email, first, last, sku, name, *numbers in csv.reader(
            bytes(data).decode() for data in copy
        ):
            full_name = f"{first} {last}".strip()
            yield (
                "'" + number if number.startswith(risky) else number,
                "'" + status if status.startswith(risky) else status,
                placed,
                "'" + email if email.startswith(risky) else email,
                "'" + full_name if full_name.startswith(risky) else full_name,
                "'" + sku if sku.startswith(risky) else sku,
                "'" + name if name.startswith(risky) else name,
                *numbers,
            )


def _fetched_cells(items: QuerySet[OrderItem], chunk_size: int) -> Iterator[tuple]:
    rows = items.values_list(
        "order__number",
        "order__status",
        "order__placed_at",
        "order__customer__email",
        "order__customer__first_name",
        "order__customer__last_name",
        "product__sku",
        "product__name",
        "quantity",
        "unit_price",
        "order__total",
    )
    esc = escape_formula
    for (
        number,
        status,
        placed,
        email,
        first,
        last,
        sku,
        name,
        quantity,
        price,
        total,
    ) in rows.iterator(chunk_size=chunk_size):
        yield (
            esc(number),
            esc(status),
            placed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            esc(email),
            esc(f"{first} {last}".strip()),
            esc(sku),
            esc(name),
            quantity,
            price,
            (quantity * price).quantize(_CENT),
            total,
        )
