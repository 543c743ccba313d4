"""An order's timeline: its status changes, staff comments and stock moves, oldest first.

Two queries whatever the order's size: its events (``OrderEvent``) and its ledger rows,
each with its user (and product) joined.
"""

from dataclasses import dataclass
from datetime import datetime

from catalog.models import StockMovement
from orders.models import Order, OrderEvent


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "placed", "status", "comment" or "stock"
    event: OrderEvent | None = None
    movement: StockMovement | None = None

    @property
    def user(self):
        if self.event is not None:
            return self.event.created_by
        if self.movement is not None:
            return self.movement.created_by
        return None


def order_timeline(order: Order) -> list[TimelineEntry]:
    entries = [TimelineEntry(order.placed_at, "placed")]
    events = OrderEvent.objects.filter(order_id=order.pk).select_related("created_by")
    entries += [TimelineEntry(event.created_at, event.kind, event=event) for event in events]
    movements = StockMovement.objects.filter(reference=order.stock_reference).select_related(
        "product", "created_by"
    )
    entries += [TimelineEntry(move.created_at, "stock", movement=move) for move in movements]
    # Stable: a status change and the stock it moved share a moment; the change comes first.
    order_of_kinds = {"placed": 0, "status": 1, "comment": 2, "stock": 3}
    return sorted(entries, key=lambda entry: (entry.at, order_of_kinds[entry.kind]))
