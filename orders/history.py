"""An order's history in words: its own changes and those of its lines.

Lines have their own history rows (``OrderItem.history``, written in bulk by
``orders.services``). Every write of lines saves the order first, in the same
``order_save``, so a line's history row belongs to the order's history row just before it
(or at the same moment).
"""

from bisect import bisect_right
from datetime import datetime

from catalog.models import Product
from foundation.display import money
from foundation.history import CHANGED, CREATED, DELETED
from orders.models import OrderItem


def _line(sku: str, quantity, price) -> str:
    return f"{sku} \N{MULTIPLICATION SIGN} {quantity} @ {money(price)}"


def order_line_changes(order_id: int) -> list[tuple[datetime, dict]]:
    """Each change of the order's lines, oldest first: (when, {"field", "old", "new"}).

    Two queries whatever the number of lines and edits: the lines' history rows, then the
    SKUs of their products (a product deleted since is named by its id).
    """
    rows = list(
        OrderItem.history.filter(order_id=order_id)
        .order_by("history_date", "history_id")
        .values("id", "history_date", "history_type", "product_id", "quantity", "unit_price")
    )
    skus = dict(
        Product.objects.filter(pk__in={r["product_id"] for r in rows}).values_list("pk", "sku")
    )
    changes: list[tuple[datetime, dict]] = []
    last: dict[int, dict] = {}
    for row in rows:
        sku = skus.get(row["product_id"], f"product #{row['product_id']}")
        before = last.get(row["id"])
        when = row["history_date"]
        if row["history_type"] == CREATED:
            changes.append(
                (when, _change("Line added", "", _line(sku, row["quantity"], row["unit_price"])))
            )
        elif row["history_type"] == DELETED:
            changes.append(
                (when, _change("Line removed", _line(sku, row["quantity"], row["unit_price"]), ""))
            )
        elif row["history_type"] == CHANGED:
            if before is None:  # the line's earlier rows are missing: say what it is now
                new = _line(sku, row["quantity"], row["unit_price"])
                changes.append((when, _change(f"Line {sku}", "", new)))
            else:
                if before["product_id"] != row["product_id"]:
                    old_sku = skus.get(before["product_id"], f"product #{before['product_id']}")
                    changes.append((when, _change("Line product", old_sku, sku)))
                if before["quantity"] != row["quantity"]:
                    old, new = str(before["quantity"]), str(row["quantity"])
                    changes.append((when, _change(f"{sku} quantity", old, new)))
                if before["unit_price"] != row["unit_price"]:
                    old, new = money(before["unit_price"]), money(row["unit_price"])
                    changes.append((when, _change(f"{sku} unit price", old, new)))
        last[row["id"]] = row
    return changes


def _change(field: str, old: str, new: str) -> dict:
    return {"field": field, "old": old, "new": new, "line": True}


def attach_line_changes(records: list, line_changes: list[tuple[datetime, dict]], until=None):
    """Add each line change to the order history row it belongs to (``records``: one page,
    newest first; ``until``: the date of the next newer row, beyond this page, if any)."""
    if not records:
        return
    ordered = sorted(records, key=lambda r: (r.history_date, r.history_id))
    dates = [r.history_date for r in ordered]
    for when, change in line_changes:
        if until is not None and when >= until:
            continue
        at = bisect_right(dates, when) - 1
        if at < 0:
            continue  # an older page's
        record = ordered[at]
        if not hasattr(record, "history_delta_changes"):
            record.history_delta_changes = []
        record.history_delta_changes.append(change)
