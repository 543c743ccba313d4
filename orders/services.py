"""Order writes that carry business rules: numbers, lines, totals, transitions and stock.

Orders and their lines are written here and nowhere else (``OrderWriteRefused``). From a
save to the stock ledger, in three steps:

1. ``order_save`` (or ``order_transition``, ``order_delete``) locks the order, writes it
   with all its line changes in bulk, and sends ``orders.signals.order_saved`` (or
   ``order_deleted``) with the acting user;
2. the receiver in ``orders.receivers`` calls ``order_sync_stock``;
3. ``order_sync_stock`` compares what the order wants (the sum of its lines per product
   while its status holds stock, else nothing) with what it holds (its ledger rows, by the
   reference ``order:ORD-000042``), and moves the difference with one
   ``catalog.services.stock_move``, in the same transaction.

Running step 3 again moves nothing: it is idempotent. If the stock is short, it raises
``InsufficientStock`` and nothing of the save is kept.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, F, IntegerField, Sum, Value
from django.db.models.functions import Concat

from catalog.models import Product, StockMovement
from catalog.services import StockMove, stock_lock, stock_move
from foundation.history import (
    CHANGED,
    DELETED,
    create_with_history,
    delete_rows,
    history_write,
)
from foundation.rows import row_by
from orders.models import (
    GIVE_BACK_REASONS,
    HOLDS_STOCK,
    MAX_MONEY,
    ORDER_NUMBER_SEQUENCE,
    Customer,
    Order,
    OrderEvent,
    OrderItem,
    OrderNumberSequence,
    OrderStatus,
    format_order_number,
    order_stock_reference,
    order_writes,
)
from orders.rollups import order_figures, rollups_apply, rollups_snapshot
from orders.signals import order_deleted, order_saved

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
LINE_FIELDS = ["product", "quantity", "unit_price"]


class TransitionRefused(Exception):
    """A status change that the workflow or the user's role does not allow."""


class OrderInvalid(ValueError):
    """An order that breaks a rule of its own (money, locked lines, a line gone)."""


class OrderChanged(OrderInvalid):
    """The order changed since the version the caller read (a stale form, an old ETag)."""

    def __init__(self, order: Order) -> None:
        super().__init__(
            f"{order.number} was changed by someone else since you opened it (it is now "
            f"{order.get_status_display()}). Nothing was saved; reload the order to see "
            "the change."
        )


def order_numbers_from_sequence() -> bool:
    """Whether this database hands order numbers out from a sequence (migration 0007)."""
    return connection.vendor == "postgresql" or (
        connection.vendor == "mysql" and connection.mysql_is_mariadb
    )


def order_next_number() -> str:
    """Take the next order number. Numbers are never reused, even if an order is deleted.

    PostgreSQL and MariaDB: the next value of a database sequence, which holds no lock, so
    concurrent orders do not wait for each other (a rolled-back order leaves a gap).
    Elsewhere one statement inserts the counter row or increments it (an upsert), and its
    row lock lasts until the caller's transaction ends: concurrent orders take numbers one
    after the other, even the very first ones on an empty table.
    """
    if order_numbers_from_sequence():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT nextval({_sequence_name()})")
            (value,) = cursor.fetchone()
        return format_order_number(value)
    table = connection.ops.quote_name(OrderNumberSequence._meta.db_table)
    if connection.vendor == "mysql":
        upsert = (
            f"INSERT INTO {table} (id, last_value) VALUES (1, 1) "
            "ON DUPLICATE KEY UPDATE last_value = last_value + 1"
        )
    else:  # SQLite
        upsert = (
            f"INSERT INTO {table} (id, last_value) VALUES (1, 1) "
            f"ON CONFLICT (id) DO UPDATE SET last_value = {table}.last_value + 1"
        )
    with connection.cursor() as cursor:
        cursor.execute(upsert)
        cursor.execute(f"SELECT last_value FROM {table} WHERE id = 1")
        (value,) = cursor.fetchone()
    return format_order_number(value)


def _sequence_name() -> str:
    # nextval() takes the name as text on PostgreSQL, as an identifier on MariaDB.
    if connection.vendor == "postgresql":
        return f"'{ORDER_NUMBER_SEQUENCE}'"
    return ORDER_NUMBER_SEQUENCE


def order_numbers_last() -> int:
    """The highest order number handed out so far (0 when none)."""
    row = OrderNumberSequence.objects.filter(pk=1).values_list("last_value", flat=True)
    last = max([0, *row])
    if order_numbers_from_sequence():
        if connection.vendor == "postgresql":
            sql = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM "
            sql += ORDER_NUMBER_SEQUENCE
        else:
            sql = f"SELECT next_not_cached_value - 1 FROM {ORDER_NUMBER_SEQUENCE}"
        with connection.cursor() as cursor:
            cursor.execute(sql)
            last = max(last, cursor.fetchone()[0])
    return last


def order_numbers_raise_to(value: int) -> None:
    """Make sure no number up to ``value`` is handed out again (after fixtures or ``seed``
    wrote orders with their own numbers). Never lowers the sequence."""
    if not order_numbers_from_sequence() or value < 1:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT setval({_sequence_name()}, %s) FROM {ORDER_NUMBER_SEQUENCE} "
                "WHERE %s > CASE WHEN is_called THEN last_value ELSE 0 END",
                [value, value],
            )
        else:  # MariaDB's SETVAL ignores a value below the sequence's current one
            cursor.execute(f"SELECT SETVAL({ORDER_NUMBER_SEQUENCE}, %s)", [value])


def order_fill_shipping(order: Order) -> None:
    """Copy the customer's address into the blank shipping fields of a new order."""
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
    if order.status == to_status:
        raise TransitionRefused(f"{order.number} is already {new}. Nothing was changed.")
    if perm is None:
        raise TransitionRefused(f"{order.number}: an order cannot go from {old} to {new}.")
    # No user: a command run on the server (``manage.py import``), which may do what the
    # workflow allows.
    if user is not None and not user.has_perm(f"orders.{perm}"):
        raise TransitionRefused(
            f"{order.number}: your role may not change an order from {old} to {new}."
        )


def check_discount(*, subtotal: Decimal, shipping: Decimal, discount: Decimal) -> None:
    """Raise ``OrderInvalid`` when the discount is larger than lines plus shipping, or the
    order's amounts are more than an order can hold (MAX_MONEY)."""
    if subtotal + shipping > MAX_MONEY:
        raise OrderInvalid(
            f"Lines plus shipping come to {subtotal + shipping:,}; an order may come to at "
            f"most {MAX_MONEY:,}. Split it into smaller orders."
        )
    if discount > subtotal + shipping:
        raise OrderInvalid(
            f"The discount ({discount}) is larger than lines plus shipping ({subtotal + shipping})."
        )


def order_held_stock(order: Order) -> dict[int, int]:
    """Units per product that ``order`` holds now, read from its ledger rows."""
    if not order.number:
        return {}
    rows = (
        StockMovement.objects.filter(reference=order.stock_reference)
        .values("product_id")
        .annotate(moved=Sum("quantity"))
        .values_list("product_id", "moved")
    )
    return {product_id: -moved for product_id, moved in rows if moved}


# Customers -------------------------------------------------------------------------------


def customer_create(*, values: dict, user, reason: str) -> Customer:
    """Save a new customer from ``values``, with a history row naming ``user`` and ``reason``.

    If a customer with the same email was saved meanwhile (two orders for one new customer
    at the same moment), that one is returned and nothing is written: both orders go on.
    """
    customer = Customer(**values)
    customer._history_user = user if getattr(user, "is_authenticated", False) else None
    customer._change_reason = reason
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction goes on
            customer.save()
    except IntegrityError:
        found = row_by(Customer, "email", customer.email)  # save() lower-cased it
        if found is None:
            raise
        return found
    return customer


# Writing an order ------------------------------------------------------------------------


def order_save(
    *,
    order: Order,
    user,
    add: Sequence[OrderItem] = (),
    change: Sequence[OrderItem] = (),
    remove: Sequence[OrderItem] = (),
    expected_version: int | None = None,
    reason: str = "",
    savepoint: bool = True,
) -> Order:
    """Save ``order`` with its line changes; the receivers then move its stock once.

    ``add``: new lines; ``change``: existing lines with new values (on both, a blank
    ``unit_price`` is the product's current price); ``remove``: existing lines to delete.
    The status may only move along the workflow from what the locked row holds now, as
    ``user``'s role allows; with ``expected_version`` (what a form or client read), an
    order changed since is refused (``OrderChanged``); ``reason`` goes on the history rows
    (e.g. "API"). Raises ``TransitionRefused``,
    ``OrderInvalid`` or ``InsufficientStock``; then nothing of the save is kept.

    Inside a transaction the save is a savepoint, so that a caller can go on after a
    refusal (the order import collects every order's errors). ``savepoint=False`` is for a
    caller whose transaction ends with any error (the API): two round trips less.
    """
    created = order.pk is None
    status_change = None
    with transaction.atomic(savepoint=savepoint), order_writes():
        if created:
            order_fill_shipping(order)
            if order.status != OrderStatus.PENDING:
                check_transition(
                    order=Order(number="New order", status=OrderStatus.PENDING),
                    to_status=order.status,
                    user=user,
                )
            order.number = order_next_number()
            lines: dict[int, OrderItem] = {}
        else:
            current = _lock(order)
            if expected_version is not None and current.version != expected_version:
                raise OrderChanged(current)
            order.version = current.version + 1
            if order.status != current.status:
                check_transition(order=current, to_status=order.status, user=user)
                status_change = (current.status, order.status)
            if (add or change or remove) and not current.lines_editable:
                raise OrderInvalid(
                    f"{current.number}: the lines of a {current.get_status_display().lower()} "
                    "order cannot change."
                )
            lines = {line.pk: line for line in OrderItem.objects.filter(order_id=order.pk)}
        before = None if created else order_figures(current, lines.values())
        if add or change:
            held = {line.product_id for line in lines.values()}
            stock_lock(held | {line.product_id for line in [*add, *change]})
        removed = _apply_line_changes(order, lines, change=change, remove=remove)
        for line in [*add, *change]:
            if line.unit_price is None:  # the price at the time of ordering
                line.unit_price = line.product.price
        final = [*lines.values(), *add]
        subtotal = sum((line.line_total for line in final), Decimal("0.00"))
        check_discount(subtotal=subtotal, shipping=order.shipping_cost, discount=order.discount)
        order.total = (subtotal + order.shipping_cost - order.discount).quantize(Decimal("0.01"))
        order.item_count = sum(line.quantity for line in final)
        if created and connection.vendor == "postgresql":
            # The order and its history row in one statement: Model.save and
            # simple-history's post_save took about a tenth of an API order's CPU. No other
            # receiver listens to an order's save but the guard this path is allowed by.
            create_with_history(Order, [order], user=user, reason=reason)
        else:
            order._history_user = user  # simple-history's way to name who wrote the row
            order._change_reason = reason
            order.save()
        _write_lines(order, user=user, add=add, change=change, remove=removed, reason=reason)
        if status_change is not None:
            _status_event(order, *status_change, user=user, reason="")
        order_saved.send(sender=Order, order=order, user=user, created=created, lines=final)
        rollups_apply(before, order_figures(order, final))
    return order


def _apply_line_changes(order, lines: dict[int, OrderItem], *, change, remove) -> list[OrderItem]:
    """Apply ``change`` and ``remove`` to the order's current ``lines`` (by pk).

    Returns the removed lines as stored: a form may have edited a line it also deletes
    (a price cleared, then Delete ticked), and the history records what was there.
    """
    for line in change:
        if line.pk not in lines:
            raise OrderInvalid(
                f"{order.number}: a line of {line.product.sku} was removed by someone else "
                "meanwhile. Nothing was saved; reload the order."
            )
        lines[line.pk] = line
    return [lines.pop(line.pk) for line in remove if line.pk in lines]


def _write_lines(order: Order, *, user, add, change, remove, reason: str = "") -> None:
    """Write the line changes in bulk, each with its history row."""
    removed = [line for line in remove if line.pk is not None]
    history_write(OrderItem, removed, history_type=DELETED, user=user, reason=reason)
    delete_rows(OrderItem, [line.pk for line in removed])
    if change:
        OrderItem.objects.bulk_update(change, ["product", "quantity", "unit_price"])
        history_write(OrderItem, change, history_type=CHANGED, user=user, reason=reason)
    if add:
        for line in add:
            line.order = order
        create_with_history(OrderItem, add, user=user, reason=reason)


@transaction.atomic
def order_transition(
    *,
    order: Order,
    to_status: str,
    user,
    expected_version: int | None = None,
    reason: str = "",
    via: str = "",
) -> Order:
    """Move ``order`` to ``to_status`` if the workflow and ``user``'s role allow it.

    Cancelling or returning gives the stock back (through the receivers of order_saved).
    ``reason`` (why, in the staff member's words) is kept on the order's timeline
    (``OrderEvent``) and on its history row; ``via`` names the channel on the history row
    (e.g. "API").
    """
    reason = reason.strip()
    with order_writes():
        locked = _lock(order)
        if expected_version is not None and locked.version != expected_version:
            raise OrderChanged(locked)
        check_transition(order=locked, to_status=to_status, user=user)
        before = rollups_snapshot(locked.pk)
        from_status = locked.status
        locked.status = to_status
        locked.version += 1
        locked._history_user = user
        locked._change_reason = ": ".join(part for part in (via, reason) if part)
        locked.save(update_fields=["status", "version", "updated_at"])
        _status_event(locked, from_status, to_status, user=user, reason=reason)
        order_saved.send(sender=Order, order=locked, user=user, created=False)
        rollups_apply(before, before.with_status(to_status))
    return locked


def _status_event(order: Order, from_status: str, to_status: str, *, user, reason: str) -> None:
    OrderEvent.objects.create(
        order_id=order.pk,
        kind=OrderEvent.Kind.STATUS,
        from_status=from_status,
        to_status=to_status,
        text=reason,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


class CommentRefused(Exception):
    """A comment the user may not write, or an empty one."""


MAX_COMMENT = 5000


def order_comment(*, order: Order, user, text: str) -> OrderEvent:
    """Append a staff comment to ``order``'s timeline. Comments are never changed."""
    if not user.has_perm("orders.comment_order"):
        raise CommentRefused("Your role may not comment on orders.")
    text = text.strip()
    if not text:
        raise CommentRefused("Write a comment first.")
    if len(text) > MAX_COMMENT:
        raise CommentRefused(f"A comment has at most {MAX_COMMENT:,} characters.")
    return OrderEvent.objects.create(
        order_id=order.pk, kind=OrderEvent.Kind.COMMENT, text=text, created_by=user
    )


@transaction.atomic
def order_delete(*, order: Order, user) -> None:
    """Delete ``order`` and its lines; the receivers give back what it held."""
    with order_writes():
        locked = _lock(order)
        before = rollups_snapshot(locked.pk)
        lines = list(OrderItem.objects.filter(order_id=locked.pk))
        _write_lines(locked, user=user, add=(), change=(), remove=lines)
        locked._history_user = user
        locked.delete()
        locked.pk = order.pk  # delete() clears it; the receivers still name the order
        order_deleted.send(sender=Order, order=locked, user=user)
        rollups_apply(before, None)


def _lock(order: Order) -> Order:
    """Lock ``order``'s row and return what it holds now."""
    try:
        return Order.objects.select_for_update().get(pk=order.pk)
    except Order.DoesNotExist:
        raise OrderInvalid(f"{order.number} was deleted by someone else meanwhile.") from None


# Stock -----------------------------------------------------------------------------------


def order_sync_stock(
    order: Order,
    *,
    user=None,
    deleted: bool = False,
    created: bool = False,
    lines: Sequence[OrderItem] | None = None,
) -> list[StockMovement]:
    """Make the ledger agree with ``order``; return the movements written.

    Wanted per product: the sum of its lines while the status holds stock, else 0 (and 0
    for a deleted order). Held: minus the sum of the ledger rows with the order's
    reference. Takes are written with reason ``order``; what is given back says why
    (cancelled, returned, deleted, or ``order`` for a line removed or reduced).
    ``lines`` (the order's lines as just written) and ``created`` (a new number holds
    nothing yet) spare the two reads, so an order costs the same queries whatever its lines.
    """
    wanted: dict[int, int] = {}
    if not deleted and order.status in HOLDS_STOCK:
        if lines is None:
            wanted = dict(
                OrderItem.objects.filter(order_id=order.pk)
                .values("product_id")
                .annotate(units=Sum("quantity"))
                .values_list("product_id", "units")
            )
        else:
            for line in lines:
                wanted[line.product_id] = wanted.get(line.product_id, 0) + line.quantity
    held = {} if created else order_held_stock(order)
    if deleted:
        give_back = StockMovement.Reason.ORDER_DELETED
    else:
        give_back = GIVE_BACK_REASONS.get(order.status, StockMovement.Reason.ORDER)
    moves = []
    for product_id in wanted.keys() | held.keys():
        taken = wanted.get(product_id, 0) - held.get(product_id, 0)
        if taken:
            reason = StockMovement.Reason.ORDER if taken > 0 else give_back
            moves.append(StockMove(product_id, -taken, reason))
    return stock_move(moves=moves, reference=order.stock_reference, user=user)


@dataclass(frozen=True)
class OrderStockDisagreement:
    reference: str
    sku: str
    wanted: int
    held: int


def order_stock_reconcile() -> list[OrderStockDisagreement]:
    """Return every (order, product) whose ledger rows disagree with its lines and status.

    An order wants the units of its lines while its status holds stock, nothing otherwise;
    a deleted order wants nothing. The ledger rows with the order's reference must net to
    exactly minus that. One query, grouped in the database, whatever the number of orders.
    """
    prefix = order_stock_reference("")
    wanted = (
        OrderItem.objects.filter(order__status__in=HOLDS_STOCK)
        .annotate(
            ref=Concat(Value(prefix), "order__number", output_field=CharField()),
            wanted=F("quantity"),
            moved=Value(0, output_field=IntegerField()),
        )
        .values_list("ref", "product_id", "wanted", "moved")
        .order_by()
    )
    moved = (
        StockMovement.objects.filter(reference__startswith=prefix)
        .annotate(wanted=Value(0, output_field=IntegerField()))
        .values_list("reference", "product_id", "wanted", "quantity")
        .order_by()
    )
    wanted_sql, wanted_params = wanted.query.sql_with_params()
    moved_sql, moved_params = moved.query.sql_with_params()
    sql = (
        "SELECT t.ref, p.sku, SUM(t.wanted), -SUM(t.moved) "
        f"FROM ({wanted_sql} UNION ALL {moved_sql}) t "
        f"JOIN {Product._meta.db_table} p ON p.id = t.product_id "
        "GROUP BY t.ref, p.sku HAVING SUM(t.wanted) + SUM(t.moved) <> 0 "
        "ORDER BY t.ref, p.sku"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*wanted_params, *moved_params])
        return [OrderStockDisagreement(*row) for row in cursor.fetchall()]
