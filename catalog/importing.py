"""The fast product import: the same rules as the row-by-row resource, in bulk.

``ProductResource`` (catalog.resources) runs its imports through ``import_products``:
rows are checked with the resource's own widgets, existing products are read in a few
queries, and new rows, changes, history rows and ledger rows are written in bulk (COPY on
PostgreSQL). The result is an import-export ``Result`` with exact totals, every error,
and a sample of rows for the admin's preview.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from import_export.results import Result, RowResult

from backoffice.bulk import bulk_insert, bulk_update_columns
from catalog.models import Product, StockMovement
from catalog.services import stock_set_bulk

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


@dataclass
class ImportPlan:
    new: list[dict] = field(default_factory=list)
    changed: list[tuple[int, dict, dict]] = field(default_factory=list)  # (pk, old, new)
    stock_levels: dict[str, int] = field(default_factory=dict)  # sku -> wanted stock
    skipped: int = 0


def import_products(resource, dataset, result: Result, *, dry_run: bool, user=None) -> Result:
    """Check every row, then (if all are good) write them in bulk. Nothing is written on error."""
    headers = list(dataset.headers or [])
    fields = {f.column_name: f for f in resource.get_import_fields()}
    present = [c for c in headers if c in fields]
    cleaned = _clean_rows(resource, dataset, headers, fields, present, result)
    if result.has_validation_errors() or result.has_errors():
        return result
    existing = _load_existing([row["sku"] for _, row in cleaned])
    plan = _plan(cleaned, existing, present, result)
    if result.has_validation_errors():
        return result
    _write(plan, existing, user=user, reference=resource.reference)
    _summarise(plan, result)
    return result


def _clean_rows(resource, dataset, headers, fields, present, result) -> list[tuple[int, dict]]:
    rows: list[tuple[int, dict]] = []
    seen: dict[str, int] = {}
    for number, values in enumerate(dataset, 1):
        raw = dict(zip(headers, values, strict=False))
        row: dict = {}
        errors: dict[str, str] = {}
        for column in present:
            try:
                row[column] = fields[column].widget.clean(raw.get(column), row=raw)
            except ValueError as error:
                errors[column] = str(error)
        sku = row.get("sku")
        if sku and "sku" not in errors:
            first = seen.setdefault(sku, number)
            if first != number:
                errors["sku"] = f"'{sku}' appears twice in the file (first on row {first})."
        if errors:
            result.append_invalid_row(number, raw, ValidationError(errors))
            result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
        else:
            rows.append((number, row))
    return rows


def _load_existing(skus: list[str]) -> dict[str, dict]:
    existing: dict[str, dict] = {}
    for start in range(0, len(skus), LOOKUP_CHUNK):
        chunk = skus[start : start + LOOKUP_CHUNK]
        # Locked until the import commits, so that an edit saved meanwhile is neither
        # overwritten by this import's stale copy nor lost (the editor waits instead).
        locked = Product.objects.select_for_update(no_key=True).filter(sku__in=chunk)
        for values in locked.order_by("pk").values(
            "pk", "stock", "category_id", "created_at", *[c for c in COLUMNS if c != "category"]
        ):
            values["category"] = values.pop("category_id")
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
                plan.stock_levels[new["sku"]] = wanted
            _sample(result, RowResult.IMPORT_TYPE_NEW, number, new, wanted)
            continue
        changes = {c: v for c, v in row.items() if c != "sku" and current[c] != v}
        stock_changes = wanted is not None and wanted != current["stock"]
        if not changes and not stock_changes:
            plan.skipped += 1
            result.totals[RowResult.IMPORT_TYPE_SKIP] += 1
            continue
        if changes:
            plan.changed.append((current["pk"], current, {**current, **changes}))
        if stock_changes:
            plan.stock_levels[row["sku"]] = wanted
        _sample(result, RowResult.IMPORT_TYPE_UPDATE, number, {**current, **changes}, wanted)
    return plan


def _sample(result: Result, import_type: str, number: int, values: dict, wanted) -> None:
    result.totals[import_type] += 1
    if sum(1 for r in result.rows if r.import_type == import_type) >= PREVIEW_ROWS:
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
    if plan.new:
        bulk_insert(
            Product,
            [
                "sku",
                "name",
                "category_id",
                "description",
                "price",
                "cost",
                "stock",
                "low_stock_threshold",
                "is_active",
                "created_at",
                "updated_at",
            ],
            (
                (
                    r["sku"],
                    r["name"],
                    r["category"],
                    r["description"],
                    r["price"],
                    r["cost"],
                    0,
                    r["low_stock_threshold"],
                    r["is_active"],
                    now,
                    now,
                )
                for r in plan.new
            ),
        )
        ids = _ids([r["sku"] for r in plan.new])
        for row in plan.new:
            row["pk"], row["created_at"], row["updated_at"] = ids[row["sku"]], now, now
    # Only the columns that changed are written, grouped by which ones changed.
    by_columns: dict[tuple[str, ...], list[tuple]] = {}
    for pk, old, new in plan.changed:
        columns = tuple(c for c in COLUMNS if c != "sku" and old[c] != new[c])
        by_columns.setdefault(columns, []).append((pk, *[new[c] for c in columns], now))
    for columns, rows in by_columns.items():
        bulk_update_columns(Product, [DB_COLUMN.get(c, c) for c in columns] + ["updated_at"], rows)
    history = [("+", row) for row in plan.new] + [
        ("~", {**new, "updated_at": now}) for _, _, new in plan.changed
    ]
    if history:
        bulk_insert(
            Product.history.model,
            [
                "id",
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
                "history_date",
                "history_change_reason",
                "history_type",
                "history_user_id",
            ],
            (
                (
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
                    now,
                    reference,
                    kind,
                    user_id,
                )
                for kind, r in history
            ),
        )
    if plan.stock_levels:
        pks = {row["sku"]: row["pk"] for row in plan.new}
        pks.update({sku: values["pk"] for sku, values in existing.items()})
        stock_set_bulk(
            levels={pks[sku]: level for sku, level in plan.stock_levels.items()},
            reason=StockMovement.Reason.IMPORT,
            reference=reference,
            user=user if user_id else None,
        )


def _ids(skus: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for start in range(0, len(skus), LOOKUP_CHUNK):
        chunk = skus[start : start + LOOKUP_CHUNK]
        ids.update(Product.objects.filter(sku__in=chunk).values_list("sku", "pk"))
    return ids


def _summarise(plan: ImportPlan, result: Result) -> None:
    result.stock_moves = len(plan.stock_levels)
    result.history_rows = len(plan.new) + len(plan.changed)
