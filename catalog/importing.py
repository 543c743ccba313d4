"""The fast product import: the same rules as the row-by-row resource, in bulk.

``ProductResource`` (catalog.resources) runs its imports through ``import_products``:
rows are checked with the resource's own widgets, existing products are read in a few
queries, and new rows, changes, history rows and ledger rows are written in bulk (COPY on
PostgreSQL). The result is an import-export ``Result`` with exact totals, every error,
and a sample of rows for the admin's preview.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from import_export.results import Result, RowResult

from catalog.models import Product, StockMovement
from catalog.services import stock_record_opening, stock_set_bulk
from foundation.bulk import bulk_insert, bulk_update_columns

PREVIEW_ROWS = 50  # rows of each kind kept for the admin preview
LOOKUP_CHUNK = 5000
# Model columns a product row can set (stock goes through the ledger instead).
COLUMNS = [
    "sku",
    "name",
    "category",
    "price",
    "is_active",
    "description",
    "cost",
    "low_stock_threshold",
]
DEFAULTS = {"description": "", "cost": None, "low_stock_threshold": 5}
DB_COLUMN = {"category": "category_id"}


class ImportConflict(Exception):
    """Something the file relies on changed while it was being imported."""


@dataclass
class ImportPlan:
    new: list[dict] = field(default_factory=list)
    # (pk, values read, the file's values): compared again under the row lock when written
    changed: list[tuple[int, dict, dict]] = field(default_factory=list)
    stock_levels: dict[str, int] = field(default_factory=dict)  # sku -> stock (existing)
    new_levels: dict[str, int] = field(default_factory=dict)  # sku -> stock of a new product


def import_products(resource, dataset, result: Result, *, user=None) -> Result:
    """Check every row, then (if all are good) write them in bulk. Nothing is written on error."""
    # A row makes a few short-lived dicts and no reference cycles; the cyclic collector
    # would otherwise run thousands of times over a large file (about 20% of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _import_products(resource, dataset, result, user=user)
    finally:
        if collecting:
            gc.enable()


def _import_products(resource, dataset, result: Result, *, user=None) -> Result:
    headers = list(dataset.headers or [])
    fields = {f.column_name: f for f in resource.get_import_fields()}
    present = [c for c in headers if c in fields]
    cleaned = _clean_rows(resource, dataset, headers, fields, present, result)
    if result.has_validation_errors() or result.has_errors():
        return result
    # Read without locks: most rows of a re-import change nothing. The rows that will be
    # written are locked and read again in _write_changes.
    existing = _load_existing([row["sku"] for _, row in cleaned])
    plan = _plan(cleaned, existing, present, result)
    if result.has_validation_errors():
        return result
    _write(plan, existing, user=user, reference=resource.reference)
    return result


def _clean_rows(resource, dataset, headers, fields, present, result) -> list[tuple[int, dict]]:
    # Bind each column's cleaner once: this loop runs once per cell of the file.
    cleaners = [(headers.index(c), c, fields[c].widget.clean) for c in present]
    rows: list[tuple[int, dict]] = []
    seen: dict[str, int] = {}
    for number, values in enumerate(dataset, 1):
        row: dict = {}
        errors: dict[str, str] = {}
        for index, column, clean in cleaners:
            try:
                row[column] = clean(values[index] if index < len(values) else None)
            except ValueError as error:
                errors[column] = str(error)
        sku = row.get("sku")
        if sku and "sku" not in errors:
            first = seen.setdefault(sku, number)
            if first != number:
                errors["sku"] = f"'{sku}' appears twice in the file (first on row {first})."
        if errors:
            raw = dict(zip(headers, values, strict=False))
            result.append_invalid_row(number, raw, ValidationError(errors))
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
        else:
            rows.append((number, row))
    return rows


def _load_existing(skus: list[str], *, lock: bool = False, pks: list[int] | None = None) -> dict:
    """Existing products by SKU (or by pk), as plain values."""
    keys = pks if pks is not None else skus
    if connection.vendor == "postgresql":
        return _load_existing_pg(keys, by_pk=pks is not None, lock=lock)
    existing: dict[str, dict] = {}
    lookup = "pk__in" if pks is not None else "sku__in"
    for start in range(0, len(keys), LOOKUP_CHUNK):
        queryset = Product.objects.filter(**{lookup: keys[start : start + LOOKUP_CHUNK]})
        if lock:
            queryset = queryset.select_for_update(no_key=True)
        for values in queryset.order_by("pk").values("pk", *LOADED[1:]):
            values["category"] = values.pop("category_id")
            existing[values["sku"]] = values
    return existing


# The columns _load_existing returns, in order ("category" is the category's id).
LOADED = ["pk", "stock", "category_id", "created_at", "sku", "name", "price", "is_active",
          "description", "cost", "low_stock_threshold"]  # fmt: skip


def _load_existing_pg(keys: list, *, by_pk: bool, lock: bool) -> dict[str, dict]:
    # One array parameter instead of an IN list, and plain tuples instead of model values:
    # this read is most of the time of a re-import that changes nothing. created_at (slow to
    # convert) is only needed for the locked re-read of the rows that change.
    loaded = LOADED if lock else [c for c in LOADED if c != "created_at"]
    columns = ", ".join("id" if c == "pk" else c for c in loaded)
    sql = (
        f"SELECT {columns} FROM {Product._meta.db_table} "
        f"WHERE {'id' if by_pk else 'sku'} = ANY(%s) ORDER BY id"
        + (" FOR NO KEY UPDATE" if lock else "")
    )
    names = ["category" if c == "category_id" else c for c in loaded]
    existing: dict[str, dict] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(keys), 50_000):
            cursor.execute(sql, [keys[start : start + 50_000]])
            for row in cursor.fetchall():
                values = dict(zip(names, row, strict=True))
                existing[values["sku"]] = values
    return existing


def _plan(cleaned, existing, present, result) -> ImportPlan:
    plan = ImportPlan()
    for number, row in cleaned:
        category = row.get("category")
        if "category" in row:
            row["category"] = category.pk
        wanted = row.pop("stock", None)
        current = existing.get(row["sku"])
        if current is None:
            new = {**DEFAULTS, **row}
            plan.new.append(new)
            if wanted:
                plan.new_levels[new["sku"]] = wanted
            _sample(result, RowResult.IMPORT_TYPE_NEW, number, new, wanted)
            continue
        changes = {c: v for c, v in row.items() if c != "sku" and current[c] != v}
        stock_changes = wanted is not None and wanted != current["stock"]
        if not changes and not stock_changes:
            result.totals[RowResult.IMPORT_TYPE_SKIP] += 1
            continue
        if changes:
            plan.changed.append((current["pk"], current, row))
        if stock_changes:
            plan.stock_levels[row["sku"]] = wanted
        _sample(result, RowResult.IMPORT_TYPE_UPDATE, number, {**current, **changes}, wanted)
    return plan


def _sample(result: Result, import_type: str, number: int, values: dict, wanted) -> None:
    result.totals[import_type] += 1
    if result.totals[import_type] > PREVIEW_ROWS:
        return
    row_result = RowResult()
    row_result.import_type = import_type
    row_result.object_repr = values["sku"]
    shown = {**values, "stock": wanted if wanted is not None else values.get("stock", "")}
    row_result.diff = [_display(shown.get(h)) for h in result.diff_headers]
    result.append_row_result(row_result)


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _write(plan: ImportPlan, existing: dict[str, dict], *, user, reference: str) -> None:
    now = timezone.now()
    user_id = user.pk if user is not None and user.is_authenticated else None
    # Lock every existing row this import writes (columns or stock) once, in primary-key
    # order, before any write: the order every stock writer locks in, so a sale running
    # at the same time waits instead of deadlocking.
    to_lock = sorted(
        {pk for pk, _, _ in plan.changed} | {existing[s]["pk"] for s in plan.stock_levels}
    )
    fresh = (
        {v["pk"]: v for v in _load_existing([], lock=True, pks=to_lock).values()} if to_lock else {}
    )
    missing = set(to_lock) - fresh.keys()
    gone = [sku for sku, values in existing.items() if values["pk"] in missing] if missing else []
    if gone:
        raise ImportConflict(
            f"{len(gone)} product(s) were deleted while the file was being imported "
            f"({', '.join(sorted(gone)[:5])}). Nothing was saved; import the file again."
        )
    history: list[tuple[str, dict]] = []
    if plan.new:
        for row, pk in zip(plan.new, _new_ids(len(plan.new)), strict=True):
            row["pk"], row["created_at"], row["updated_at"] = pk, now, now
        # New rows are invisible to everybody else until the commit: they are inserted
        # with their stock already set, and get their opening ledger row below.
        bulk_insert(
            Product,
            ["id", *SAVED_COLUMNS, "stock"],
            ((*_saved_values(r), plan.new_levels.get(r["sku"], 0)) for r in plan.new),
        )
        history += [("+", row) for row in plan.new]
    if plan.changed:
        history += _write_changes(plan.changed, fresh, now)
    if history:
        bulk_insert(
            Product.history.model,
            [
                "id",
                *SAVED_COLUMNS,
                "history_date",
                "history_change_reason",
                "history_type",
                "history_user_id",
            ],
            ((*_saved_values(r), now, reference, kind, user_id) for kind, r in history),
        )
    who = user if user_id else None
    if plan.new_levels:
        pks = {row["sku"]: row["pk"] for row in plan.new}
        stock_record_opening(
            levels={pks[sku]: level for sku, level in plan.new_levels.items()},
            reason=StockMovement.Reason.IMPORT,
            reference=reference,
            user=who,
        )
    if connection.vendor == "postgresql":
        # Foreign keys are checked at COMMIT by default; check them now, inside the
        # caller's savepoint, so that a category deleted meanwhile is a reported error.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    if plan.stock_levels:
        stock_set_bulk(
            levels={existing[sku]["pk"]: level for sku, level in plan.stock_levels.items()},
            reason=StockMovement.Reason.IMPORT,
            reference=reference,
            user=who,
        )


# Product columns written by an import, in the order _saved_values gives them (the product
# row and its history row share them; "id" comes first, stock is written separately).
SAVED_COLUMNS = [
    "sku",
    "name",
    "category_id",
    "description",
    "price",
    "cost",
    "low_stock_threshold",
    "is_active",
    "created_at",
    "updated_at",
]


def _saved_values(r: dict) -> tuple:
    return (
        r["pk"],
        r["sku"],
        r["name"],
        r["category"],
        r["description"],
        r["price"],
        r["cost"],
        r["low_stock_threshold"],
        r["is_active"],
        r["created_at"],
        r["updated_at"],
    )


def _write_changes(changed: list[tuple[int, dict, dict]], fresh: dict, now) -> list[tuple]:
    """Compare the file with what the locked rows hold now, and write the difference.

    Only the columns that differ are written (grouped by which ones), so an edit saved by
    someone else between the first read and the lock is neither overwritten nor lost.
    """
    by_columns: dict[tuple[str, ...], list[tuple]] = {}
    history = []
    for pk, _, file_values in changed:
        current = fresh.get(pk)
        if current is None:
            continue  # deleted meanwhile
        columns = tuple(
            c for c in COLUMNS if c != "sku" and c in file_values and current[c] != file_values[c]
        )
        if not columns:
            continue
        by_columns.setdefault(columns, []).append((pk, *[file_values[c] for c in columns], now))
        history.append(("~", {**current, **file_values, "updated_at": now}))
    for columns, rows in by_columns.items():
        bulk_update_columns(Product, [DB_COLUMN.get(c, c) for c in columns] + ["updated_at"], rows)
    return history


def _new_ids(count: int) -> list[int]:
    """Primary keys for new products, taken from the table's sequence (counted on SQLite)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Product._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]
    # SQLite: one writer at a time (IMMEDIATE transactions), so the next ids are free; the
    # AUTOINCREMENT counter remembers deleted ids, which must not be given out again.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT MAX(COALESCE((SELECT MAX(id) FROM catalog_product), 0), "
            "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'catalog_product'), 0))"
        )
        start = cursor.fetchone()[0] + 1
        cursor.execute(
            "UPDATE sqlite_sequence SET seq = %s WHERE name = 'catalog_product'",
            [start + count - 1],
        )
    return list(range(start, start + count))
