"""An order's timeline: its status changes, staff comments and stock moves, oldest first.

Three queries whatever the order's size: its status changes, its newest comments and its
newest ledger rows, each with its user (and product) joined.
"""

from dataclasses import dataclass
from datetime import datetime

from catalog.models import StockMovement
from orders.models import Order, OrderEvent

# Comments (append-only, as many as staff write) and stock moves (one per line per edit)
# shown at most, the newest: thousands made the order page megabytes and seconds. Status
# changes, a handful at most, are all kept: the header reads the latest reason from them.
TIMELINE_LIMIT = 200


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


class Timeline(list):
    """The entries, oldest first; ``truncated`` when older comments or stock moves are left
    out (beyond TIMELINE_LIMIT of either)."""

    truncated = False


def order_timeline(order: Order) -> Timeline:
    newest = ["-created_at", "-id"]
    events = OrderEvent.objects.filter(order_id=order.pk).select_related("created_by")
    statuses = list(events.filter(kind=OrderEvent.Kind.STATUS))
    comments = list(
        events.filter(kind=OrderEvent.Kind.COMMENT).order_by(*newest)[: TIMELINE_LIMIT + 1]
    )
    movements = list(
        StockMovement.objects.filter(reference=order.stock_reference)
        .select_related("product", "created_by")
        .order_by(*newest)[: TIMELINE_LIMIT + 1]
    )
    truncated = len(comments) > TIMELINE_LIMIT or len(movements) > TIMELINE_LIMIT
    entries = [TimelineEntry(order.placed_at, "placed")]
    entries += [
        TimelineEntry(event.created_at, event.kind, event=event)
        for event in [*statuses, *comments[:TIMELINE_LIMIT]]
    ]
    entries += [
        TimelineEntry(move.created_at, "stock", movement=move)
        for move in movements[:TIMELINE_LIMIT]
    ]
    # Stable: a status change and the stock it moved share a moment; the change comes first.
    order_of_kinds = {"placed": 0, "status": 1, "comment": 2, "stock": 3}
    timeline = Timeline(sorted(entries, key=lambda entry: (entry.at, order_of_kinds[entry.kind])))
    timeline.truncated = truncated
    return timeline
