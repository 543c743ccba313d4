"""Order writes that carry business rules: numbers, totals, stock, status transitions.

The stock an order holds is read from the ledger by the order's reference
(``order:ORD-000042``), and ``order_sync_stock`` applies the difference to what the order
wants now. Running it again therefore moves nothing: it is idempotent, whatever saved the
order, its lines, or how many times.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.db.models.functions import Coalesce

from catalog.models import Product, StockMovement
from catalog.services import stock_adjust
from orders.models import Order, OrderItem, OrderNumberSequence, OrderStatus

# (from, to) -> the permission codename (app "orders") that allows the move.
TRANSITIONS: dict[tuple[str, str], str] = {
    (OrderStatus.PENDING, OrderStatus.PAID): "mark_paid",
    (OrderStatus.PAID, OrderStatus.SHIPPED): "mark_shipped",
    (OrderStatus.SHIPPED, OrderStatus.DELIVERED): "mark_delivered",
    (OrderStatus.PENDING, OrderStatus.CANCELLED): "cancel_order",
    (OrderStatus.PAID, OrderStatus.CANCELLED): "cancel_order",
    (OrderStatus.SHIPPED, OrderStatus.RETURNED): "mark_returned",
    (OrderStatus.DELIVERED, OrderStatus.RETURNED): "mark_returned",
}


class TransitionRefused(Exception):
    """A status change that the workflow or the user's role does not allow."""


def order_next_number() -> str:
    """Take the next order number. Numbers are never reused, even if an order is deleted."""
    with transaction.atomic():
        sequence, _ = OrderNumberSequence.objects.select_for_update().get_or_create(pk=1)
        sequence.last_value += 1
        sequence.save(update_fields=["last_value"])
    return f"ORD-{sequence.last_value:06d}"


def order_fill_shipping(order: Order) -> None:
    """Copy the customer's address into the order's blank shipping fields (before saving)."""
    customer = order.customer
    defaults = {
        "shipping_name": customer.full_name,
        "shipping_street": customer.street,
        "shipping_city": customer.city,
        "shipping_postal_code": customer.postal_code,
        "shipping_country": customer.country,
    }
    for field, value in defaults.items():
        if not getattr(order, field):
            setattr(order, field, value)


def allowed_transitions(order: Order, user=None) -> list[str]:
    """Return the statuses ``order`` may move to next (for ``user``, when given)."""
    return [
        to
        for (frm, to), perm in TRANSITIONS.items()
        if frm == order.status and (user is None or user.has_perm(f"orders.{perm}"))
    ]


def check_transition(*, order: Order, to_status: str, user) -> None:
    """Raise ``TransitionRefused`` unless ``user`` may move ``order`` to ``to_status``."""
    perm = TRANSITIONS.get((order.status, to_status))
    old, new = OrderStatus(order.status).label, OrderStatus(to_status).label
    if perm is None:
        raise TransitionRefused(f"{order.number}: an order cannot go from {old} to {new}.")
    if not user.has_perm(f"orders.{perm}"):
        raise TransitionRefused(
            f"{order.number}: your role may not change an order from {old} to {new}."
        )


@transaction.atomic
def order_transition(*, order: Order, to_status: str, user) -> Order:
    """Move ``order`` to ``to_status`` if the workflow and ``user``'s role allow it.

    Cancelling or returning gives the stock back (through the post_save receiver).
    """
    locked = Order.objects.select_for_update().get(pk=order.pk)
    check_transition(order=locked, to_status=to_status, user=user)
    locked.status = to_status
    locked._history_user = user
    locked.save(update_fields=["status", "updated_at"])
    return locked


@transaction.atomic
def order_recalculate(order: Order) -> None:
    """Set ``total`` (lines + shipping - discount) and ``item_count`` from the lines."""
    line_total = ExpressionWrapper(F("quantity") * F("unit_price"), output_field=DecimalField())
    sums = OrderItem.objects.filter(order_id=order.pk).aggregate(
        lines=Coalesce(Sum(line_total), Decimal("0.00"), output_field=DecimalField()),
        units=Coalesce(Sum("quantity"), 0),
    )
    total = (sums["lines"] + order.shipping_cost - order.discount).quantize(Decimal("0.01"))
    if (order.total, order.item_count) != (total, sums["units"]):
        Order.objects.filter(pk=order.pk).update(total=total, item_count=sums["units"])
        order.total, order.item_count = total, sums["units"]


@transaction.atomic
def order_sync_stock(order: Order, *, user=None) -> list[StockMovement]:
    """Make the ledger agree with ``order``; return the movements written.

    Wanted per product: the sum of its lines while the status holds stock, else 0 (and 0
    for a deleted order). Held: minus the sum of the ledger rows with the order's
    reference. The difference goes through ``stock_adjust``, product by product in
    primary-key order (the lock order every stock writer uses). Raises InsufficientStock,
    and then nothing of the surrounding transaction is kept.
    """
    current = Order.objects.select_for_update().filter(pk=order.pk).first()
    reference = order.stock_reference
    wanted: dict[int, int] = {}
    if current is not None and current.holds_stock:
        wanted = dict(
            OrderItem.objects.filter(order_id=current.pk)
            .values("product_id")
            .annotate(units=Sum("quantity"))
            .values_list("product_id", "units")
        )
    held = {
        product_id: -moved
        for product_id, moved in StockMovement.objects.filter(reference=reference)
        .values("product_id")
        .annotate(moved=Sum("quantity"))
        .values_list("product_id", "moved")
    }
    deltas = {
        pk: wanted.get(pk, 0) - held.get(pk, 0)
        for pk in sorted(wanted.keys() | held.keys())
        if wanted.get(pk, 0) != held.get(pk, 0)
    }
    if not deltas:
        return []
    products = Product.objects.in_bulk(list(deltas))
    status = current.status if current is not None else OrderStatus.CANCELLED
    movements = []
    for pk, delta in deltas.items():
        movements.append(
            stock_adjust(
                product=products[pk],
                quantity=-delta,
                reason=_reason(delta, status),
                reference=reference,
                user=user,
            )
        )
    return movements


def _reason(delta: int, status: str) -> str:
    if delta > 0:
        return StockMovement.Reason.ORDER
    if status == OrderStatus.RETURNED:
        return StockMovement.Reason.RETURN
    if status == OrderStatus.CANCELLED:
        return StockMovement.Reason.CANCEL
    return StockMovement.Reason.ORDER  # a line removed or reduced on a live order


# Deferral -------------------------------------------------------------------------------------
#
# The admin saves an order, then each of its lines, all in one transaction. Syncing after
# every single save would lock products in line order (not pk order, risking deadlocks)
# and could see half-edited states that need more stock than the final one. Inside
# ``order_changes_deferred`` the receivers only note which orders changed, and
# ``flush_order_changes`` syncs each of them once, at the end, inside the transaction.


@dataclass
class _Pending:
    orders: dict[int, Order]
    user: object = None


_pending: ContextVar[_Pending | None] = ContextVar("orders_pending_changes", default=None)


@contextmanager
def order_changes_deferred(*, user=None) -> Iterator[None]:
    token = _pending.set(_Pending(orders={}, user=user))
    try:
        yield
    finally:
        _pending.reset(token)


def flush_order_changes() -> None:
    """Sync every order noted since the deferral began (inside the caller's transaction)."""
    pending = _pending.get()
    if pending is None:
        return
    orders, pending.orders = pending.orders, {}
    for pk in sorted(orders):
        order_changed(orders[pk], user=pending.user, now=True)


def order_changed(order: Order, *, user=None, now: bool = False) -> None:
    """Bring totals and stock in line with ``order`` now, or at the flush when deferred."""
    pending = _pending.get()
    if pending is not None and not now:
        pending.orders[order.pk] = order
        return
    if Order.objects.filter(pk=order.pk).exists():
        order_recalculate(order)
    order_sync_stock(order, user=user)
