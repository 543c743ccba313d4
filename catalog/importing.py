"""The fast product import: the same rules as the row-by-row resource, in bulk.

``ProductResource`` (catalog.resources) runs its imports through ``import_products``:
rows are checked with the resource's own widgets, existing products are read in a few
queries, and new rows, changes, history rows and ledger rows are written in bulk (COPY on
PostgreSQL). The result is an import-export ``Result`` with exact totals, every error,
and a sample of rows for the admin's preview.
"""

from __future__ import annotations

import gc
import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models.functions import Upper
from django.utils import timezone
from import_export.results import Result, RowResult

from catalog.models import Product, StockMovement, sku_key
from catalog.services import stock_record_opening, stock_set_bulk
from foundation.bulk import bulk_insert, bulk_update_columns
from foundation.history import CREATED, history_snapshot
from foundation.resources import (
    PREVIEW_ROWS,
    check_preview_state,
    preview_cells,
    preview_text,
)

LOOKUP_CHUNK = 5000
# Distinct cleaned values remembered per column (see _clean_rows).
CLEANED_KEPT = 10_000
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


def duplicate_sku_message(sku: str, first_row: int, first_sku: str) -> str:
    """The error of a SKU given twice in one file (both import paths say it alike)."""
    if first_sku == sku:
        return f"'{sku}' appears twice in the file (first on row {first_row})."
    return (
        f"'{sku}' appears twice in the file (first on row {first_row} as '{first_sku}'; "
        "SKUs ignore upper and lower case)."
    )


class ImportConflict(Exception):
    """Something the file relies on changed while it was being imported."""


@dataclass
class ImportPlan:
    new: list[dict] = field(default_factory=list)
    # (pk, values read, the file's values): compared again under the row lock when written
    changed: list[tuple[int, dict, dict]] = field(default_factory=list)
    # sku_key -> wanted stock of an existing product (a new one's is its row's "stock")
    stock_levels: dict[str, int] = field(default_factory=dict)
    new_stock: bool = False  # whether any new product starts with stock


def import_products(
    resource,
    dataset,
    result: Result,
    *,
    user=None,
    preview_state: str | None = None,
    dry_run: bool = False,
) -> Result:
    """Check every row, then (if all are good) write them in bulk. Nothing is written on error.

    ``preview_state`` is the ``result.preview_state`` of the preview this import confirms:
    if the products the file names changed since (or one was created), nothing is written.
    A preview (``dry_run``) records that state; an import with neither skips it.
    """
    # A row makes a few short-lived dicts and no reference cycles; the cyclic collector
    # would otherwise run thousands of times over a large file (about 20% of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _import_products(
            resource, dataset, result, user=user, expected=preview_state, dry_run=dry_run
        )
    finally:
        if collecting:
            gc.enable()


def _import_products(
    resource, dataset, result: Result, *, user=None, expected=None, dry_run=False
) -> Result:
    headers = list(dataset.headers or [])
    fields = {f.column_name: f for f in resource.get_import_fields()}
    present = [c for c in headers if c in fields and not fields[c].readonly]
    cleaned = _clean_rows(resource, dataset, headers, fields, present, result)
    if result.has_validation_errors() or result.has_errors():
        return result
    # Read without locks: most rows of a re-import change nothing. The rows that will be
    # written are locked and read again in _write_changes.
    existing = _load_existing([sku_key(row["sku"]) for _, row in cleaned])
    # The digest costs about 1 s per 100k rows: only a preview and its confirm need it.
    if dry_run or expected is not None:
        result.preview_state = _state(existing, present)
        check_preview_state(result, expected, resource.get_error_result_class())
        if result.has_errors():
            return result
    plan = _plan(cleaned, existing, present, result, _shown_by(resource))
    if result.has_validation_errors():
        return result
    _write(plan, existing, user=user, reference=resource.reference)
    return result


def _clean_rows(resource, dataset, headers, fields, present, result) -> list[tuple[int, dict]]:
    # Bind each column's cleaner once: this loop runs once per cell of the file.
    cleaners = [(headers.index(c), c, fields[c].widget.clean) for c in present]
    # Every bad row is counted (by kind of problem) but only the first are kept whole, so
    # that a file of 40,000 bad rows costs no more to report than one of a thousand.
    kept = settings.IMPORT_ERRORS_KEPT
    kinds: dict[tuple[str, str], list] = {}
    result.error_kinds = kinds
    rows: list[tuple[int, dict]] = []
    seen: dict[str, tuple[int, str]] = {}
    # The cleaned value of a repeated text cell (a category, a flag, a price) is the same
    # immutable object every time: cleaned once, and shared by every row that has it.
    known: list[dict] = [{} for _ in cleaners]
    for number, values in enumerate(dataset, 1):
        row: dict = {}
        errors: dict[str, str] = {}
        for (index, column, clean), cache in zip(cleaners, known, strict=True):
            raw = values[index] if index < len(values) else None
            if type(raw) is str and raw in cache:
                row[column] = cache[raw]
                continue
            try:
                row[column] = value = clean(raw)
            except ValueError as error:
                errors[column] = str(error)
                continue
            if type(raw) is str and len(cache) < CLEANED_KEPT and len(raw) <= 40:
                cache[raw] = value
        sku = row.get("sku")
        if sku and "sku" not in errors:
            first = seen.setdefault(sku_key(sku), (number, sku))
            if first[0] != number:
                errors["sku"] = duplicate_sku_message(sku, *first)
        if errors:
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
            for column, message in errors.items():
                kind = kinds.setdefault((column, message), [0, []])
                kind[0] += 1
                if len(kind[1]) < 5:
                    kind[1].append(number)
            if len(result.invalid_rows) < kept:
                raw = dict(zip(headers, values, strict=False))
                result.append_invalid_row(number, raw, ValidationError(errors))
        else:
            rows.append((number, row))
    return rows


def _load_existing(skus: list[str], *, lock: bool = False, pks: list[int] | None = None) -> dict:
    """Existing products by SKU key (``skus`` are sku_key()s) or by pk, as plain values."""
    keys = pks if pks is not None else skus
    if connection.vendor == "postgresql":
        return _load_existing_pg(keys, by_pk=pks is not None, lock=lock)
    existing: dict[str, dict] = {}
    if pks is not None:
        lookup, products = "pk__in", Product.objects.all()
    elif connection.vendor == "mysql":
        # The column's case-insensitive collation compares as sku_key() does, by its index.
        lookup, products = "sku__in", Product.objects.all()
    else:
        # Through the index on UPPER(sku) that the unique constraint made.
        lookup, products = "sku_key__in", Product.objects.alias(sku_key=Upper("sku"))
    for start in range(0, len(keys), LOOKUP_CHUNK):
        queryset = products.filter(**{lookup: keys[start : start + LOOKUP_CHUNK]})
        if lock:
            # Only PostgreSQL has the weaker lock that lets orders reference the row.
            queryset = queryset.select_for_update(
                no_key=connection.features.has_select_for_no_key_update
            )
        for values in queryset.order_by("pk").values("pk", *LOADED[1:]):
            values["category"] = values.pop("category_id")
            existing[sku_key(values["sku"])] = values
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
        f"WHERE {'id' if by_pk else 'upper(sku)'} = ANY(%s) ORDER BY id"
        + (" FOR NO KEY UPDATE" if lock else "")
    )
    names = ["category" if c == "category_id" else c for c in loaded]
    existing: dict[str, dict] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(keys), 50_000):
            cursor.execute(sql, [keys[start : start + 50_000]])
            for row in cursor.fetchall():
                values = dict(zip(names, row, strict=True))
                existing[sku_key(values["sku"])] = values
    return existing


def _state(existing: dict[str, dict], present: list[str]) -> str:
    """A digest of what the file's existing products hold now in the columns it sets (and
    their stock): a preview and its confirm agree on it unless one of them changed."""
    columns = ["pk", "stock", *(c for c in present if c != "stock")]
    digest = hashlib.blake2b(digest_size=16)
    for key in sorted(existing):
        values = existing[key]
        digest.update(repr((key, *(values[c] for c in columns))).encode())
    return digest.hexdigest()


def _shown_by(resource):
    """How the preview shows a column's value: categories by slug, from the widget's cache."""
    category = resource.fields["category"].widget

    def show(column: str, value) -> str:
        return category.key_of(value) if column == "category" else preview_text(value)

    return show


def _plan(cleaned, existing, present, result, show) -> ImportPlan:
    plan = ImportPlan()
    for _, row in cleaned:
        category = row.get("category")
        if "category" in row:
            row["category"] = category.pk
        wanted = row.pop("stock", None)
        key = sku_key(row["sku"])
        current = existing.get(key)
        if current is None:
            # The row itself, completed: a copy per row would double an import's memory.
            for column, default in DEFAULTS.items():
                row.setdefault(column, default)
            row["stock"] = wanted or 0
            plan.new.append(row)
            plan.new_stock = plan.new_stock or bool(wanted)
            _sample(result, RowResult.IMPORT_TYPE_NEW, row, None, show)
            continue
        changes = {c: v for c, v in row.items() if c != "sku" and current[c] != v}
        stock_changes = wanted is not None and wanted != current["stock"]
        if not changes and not stock_changes:
            result.totals[RowResult.IMPORT_TYPE_SKIP] += 1
            continue
        if changes:
            plan.changed.append((current["pk"], current, row))
        if stock_changes:
            plan.stock_levels[key] = wanted
        shown = {**current, **changes, "stock": current["stock"] if wanted is None else wanted}
        _sample(result, RowResult.IMPORT_TYPE_UPDATE, shown, current, show)
    return plan


def _sample(result: Result, import_type: str, values: dict, current: dict | None, show) -> None:
    """Count a row and keep the first PREVIEW_ROWS of its kind for the preview: each
    column as the database holds it now (``current``, for an update) and as the file has it,
    from values already read: no query per row."""
    result.totals[import_type] += 1
    if result.totals[import_type] > PREVIEW_ROWS:
        return
    row_result = RowResult()
    row_result.import_type = import_type
    row_result.object_repr = values["sku"]
    row_result.diff = preview_cells(result.diff_headers, values, current, show)
    result.append_row_result(row_result)


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
    gone = [v["sku"] for v in existing.values() if v["pk"] in missing] if missing else []
    if gone:
        raise ImportConflict(
            f"{len(gone)} product(s) were deleted while the file was being imported "
            f"({', '.join(sorted(gone)[:5])}). Nothing was saved; import the file again."
        )
    history: list[tuple[str, dict]] = []
    if plan.new:
        # New rows are invisible to everybody else until the commit: they are inserted
        # with their stock already set, and get their opening ledger row below.
        new_ids = _insert_new(plan.new, now)
        history_snapshot(
            Product, new_ids, history_type=CREATED, user=user, reason=reference, date=now
        )
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
    if plan.new_stock:
        stock_record_opening(
            product_ids=new_ids,
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
    return (r.get("pk"), *_product_values(r), r["created_at"], r["updated_at"])


def _product_values(r: dict) -> tuple:
    """The file's columns of a product row, in SAVED_COLUMNS order (sku to is_active)."""
    return (
        r["sku"],
        r["name"],
        r["category"],
        r["description"],
        r["price"],
        r["cost"],
        r["low_stock_threshold"],
        r["is_active"],
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


def _insert_new(rows: list[dict], now) -> list[int]:
    """Insert new products (stock already at their level); their ids, in ``rows`` order."""
    # Created and updated now; no key is added to the rows (a million dicts would grow).
    values = ((*_product_values(r), now, now, r["stock"]) for r in rows)
    if connection.vendor == "postgresql":
        # COPY cannot return ids: take them from the table's sequence first.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Product._meta.db_table, len(rows)],
            )
            ids = [pk for (pk,) in cursor]
        bulk_insert(
            Product,
            ["id", *SAVED_COLUMNS, "stock"],
            ((pk, *row) for pk, row in zip(ids, values, strict=True)),
        )
        return ids
    # Elsewhere the database numbers the rows (never reusing a deleted product's id); the
    # ids are read back by SKU, through its unique index, a chunk at a time.
    bulk_insert(Product, [*SAVED_COLUMNS, "stock"], values)
    by_sku: dict[str, int] = {}
    skus = [r["sku"] for r in rows]
    for start in range(0, len(skus), LOOKUP_CHUNK):
        chunk = skus[start : start + LOOKUP_CHUNK]
        by_sku.update(Product.objects.filter(sku__in=chunk).values_list("sku", "pk"))
    return [by_sku[sku] for sku in skus]
