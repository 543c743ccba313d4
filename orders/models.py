"""Customers, orders and order lines, and the rules every order follows.

Orders and their lines are written only by ``orders.services`` (``order_save``,
``order_transition``, ``order_delete``): those move the stock with them. Any other
``save()`` or ``delete()`` of an order or a line raises ``OrderWriteRefused``
(see ``orders.receivers``), so the stock can never be left behind silently.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from catalog.models import Product, StockMovement, main_thumbnail

country_code = RegexValidator(r"^[A-Z]{2}$", "Use the two-letter country code, e.g. DE or FR.")


class Customer(models.Model):
    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    phone = models.CharField(max_length=40, blank=True)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(
        max_length=2, blank=True, validators=[country_code], help_text="Two letters, e.g. DE."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="customer_name_idx"),
            models.Index(fields=["country"], name="customer_country_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    def save(self, *args, **kwargs) -> None:
        # Emails are the business key: one spelling per address.
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    save.alters_data = True

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


ORDER_NUMBER_PREFIX = "ORD-"


def format_order_number(value: int) -> str:
    """Return the order number for a sequence value: 42 is ORD-000042."""
    return f"{ORDER_NUMBER_PREFIX}{value:06d}"


# PostgreSQL and MariaDB take order numbers from this database sequence (migration 0007):
# no lock is held while the order is written, and a rolled-back order leaves a gap.
ORDER_NUMBER_SEQUENCE = "orders_order_number"


class OrderNumberSequence(models.Model):
    """The last order number handed out, on SQLite and MySQL (one row, locked while a
    number is taken). Elsewhere a database sequence hands numbers out (ORDER_NUMBER_SEQUENCE)
    and saving this row (fixtures, ``seed``) only raises that sequence to its value."""

    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return format_order_number(self.last_value)


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"
    RETURNED = "returned", "Returned"


# Statuses in which an order keeps its goods out of stock.
HOLDS_STOCK = frozenset(
    {OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED}
)
# Statuses in which staff may still change an order's lines.
EDITABLE = frozenset({OrderStatus.PENDING, OrderStatus.PAID})
# The ledger reason of the stock an order gives back, by the status that gave it back.
# A line removed or reduced on a live order gives back with reason "order".
GIVE_BACK_REASONS = {
    OrderStatus.CANCELLED: StockMovement.Reason.CANCEL,
    OrderStatus.RETURNED: StockMovement.Reason.RETURN,
}

money = {"max_digits": 12, "decimal_places": 2}
# The largest amount those columns hold: an order's lines, shipping and total stay below it.
MAX_MONEY = Decimal("9999999999.99")


class Order(models.Model):
    number = models.CharField(
        max_length=20, unique=True, blank=True, help_text="Given on first save, e.g. ORD-000042."
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        max_length=12, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    shipping_name = models.CharField(max_length=200, blank=True)
    shipping_street = models.CharField(max_length=200, blank=True)
    shipping_city = models.CharField(max_length=100, blank=True)
    shipping_postal_code = models.CharField(max_length=20, blank=True)
    shipping_country = models.CharField(max_length=2, blank=True, validators=[country_code])
    shipping_cost = models.DecimalField(
        **money, default=Decimal("0.00"), validators=[MinValueValidator(0)]
    )
    discount = models.DecimalField(
        **money, default=Decimal("0.00"), validators=[MinValueValidator(0)]
    )
    # Kept by orders.services.order_recalculate: lines + shipping - discount.
    total = models.DecimalField(**money, default=Decimal("0.00"), editable=False)
    # Units on the order, kept with the total so that lists need no aggregate per row.
    item_count = models.PositiveIntegerField(default=0, editable=False)
    notes = models.TextField(blank=True)
    placed_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # The selling channel's own id of the order (a storefront's, a marketplace's): an order
    # is taken once per reference, by the API and by the order CSV import.
    external_reference = models.CharField(max_length=100, unique=True, null=True, blank=True)
    # Raised by every write of orders.services: a form or an API client that read an
    # older version is refused instead of overwriting what changed since (ETag on the API).
    version = models.PositiveIntegerField(default=1, editable=False)

    history = HistoricalRecords(excluded_fields=["total", "item_count", "updated_at", "version"])

    class Meta:
        ordering = ["-placed_at", "-id"]
        permissions = [
            ("mark_paid", "Can mark orders as paid"),
            ("mark_shipped", "Can mark orders as shipped"),
            ("mark_delivered", "Can mark orders as delivered"),
            ("cancel_order", "Can cancel orders"),
            ("mark_returned", "Can mark orders as returned"),
            ("comment_order", "Can comment on orders"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(shipping_cost__gte=0), name="order_shipping_gte_0"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="order_discount_gte_0"),
            # The discount can never exceed lines plus shipping (orders.services.check_discount).
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_gte_0"),
        ]
        indexes = [
            models.Index(fields=["-placed_at", "-id"], name="order_placed_idx"),
            models.Index(fields=["status", "-placed_at"], name="order_status_idx"),
            models.Index(fields=["customer", "-placed_at"], name="order_customer_idx"),
            models.Index(fields=["total"], name="order_total_idx"),
            models.Index(fields=["shipping_country"], name="order_country_idx"),
            # The API's incremental sync: orders changed since a time, in a stable order.
            models.Index(fields=["updated_at", "id"], name="order_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.number or "New order"

    def validate_constraints(self, exclude=None) -> None:
        # shipping_cost and discount >= 0 are the fields' own validators (full_clean runs
        # them first); the total is the services' (check_discount). See OrderItem.
        fields = {"shipping_cost", "discount", "total"}
        super().validate_constraints(exclude={*(exclude or ()), *fields})

    @property
    def stock_reference(self) -> str:
        """The reference of this order's rows in the stock ledger."""
        return order_stock_reference(self.number)

    @property
    def holds_stock(self) -> bool:
        return self.status in HOLDS_STOCK

    @property
    def lines_editable(self) -> bool:
        return self.status in EDITABLE


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_items")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(
        **money,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Leave blank for the product's current price.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="item_quantity_gte_1"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="item_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product.sku}"

    def validate_constraints(self, exclude=None) -> None:
        # quantity >= 1 and unit_price >= 0 are the fields' own validators, which
        # full_clean runs first; Django would check them again with a query each (and a
        # savepoint on PostgreSQL), for every line of an order form.
        super().validate_constraints(exclude={*(exclude or ()), "quantity", "unit_price"})

    @property
    def line_total(self) -> Decimal:
        return (self.unit_price or Decimal(0)) * self.quantity


class OrderEvent(models.Model):
    """A moment of an order's timeline: a status change (with its reason) or a staff comment.

    Append-only: written by ``orders.services`` (``order_transition``, ``order_save``,
    ``order_comment``), never changed or deleted but with the order itself.
    """

    class Kind(models.TextChoices):
        STATUS = "status", "Status change"
        COMMENT = "comment", "Comment"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_status = models.CharField(max_length=12, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=OrderStatus.choices, blank=True)
    # The reason of a status change (required to cancel or return in the admin), or the
    # comment's text.
    text = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"], name="order_event_idx")]

    def __str__(self) -> str:
        if self.kind == self.Kind.STATUS:
            return f"{self.get_from_status_display()} → {self.get_to_status_display()}"
        return f"Comment {self.pk}"


def with_product_thumbnail(lines: models.QuerySet) -> models.QuerySet:
    """Annotate each line with its product's main picture thumbnail (``product_thumbnail``)."""
    return lines.annotate(product_thumbnail=main_thumbnail("product_id"))


def order_stock_reference(number: str) -> str:
    """Return the ledger reference of the order numbered ``number``: order:ORD-000042."""
    return f"order:{number}"


class OrderWriteRefused(RuntimeError):
    """An order or a line written outside ``orders.services``: its stock would not move."""


_writes_allowed: ContextVar[bool] = ContextVar("orders_writes_allowed", default=False)


@contextmanager
def order_writes() -> Iterator[None]:
    """Allow the order services (and only them) to save and delete orders and lines."""
    token = _writes_allowed.set(True)
    try:
        yield
    finally:
        _writes_allowed.reset(token)


def order_writes_allowed() -> bool:
    return _writes_allowed.get()


# Rollups (orders.rollups) ----------------------------------------------------------------------
# Kept by the transaction that writes an order, so that the dashboard reads a few hundred
# rows instead of a million orders. Amounts are in cents: sums stay exact on every database
# (SQLite adds decimals as floats).


class DailyOrderRollup(models.Model):
    """Orders placed on one store day that are now in one status: how many, and their total.

    Each (day, status) is spread over ``orders.rollups.SHARDS`` rows (by order id) so that
    orders placed at the same time do not queue for one row; readers sum the shards.
    """

    day = models.DateField()
    status = models.CharField(max_length=12, choices=OrderStatus.choices)
    shard = models.PositiveSmallIntegerField()
    orders = models.BigIntegerField(default=0)
    total_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "status", "shard"], name="order_rollup_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.status} #{self.shard}: {self.orders}"


class MonthlyProductRollup(models.Model):
    """Units and line revenue of one product on orders placed in one store month that hold
    stock (not cancelled or returned): the dashboard's top products of the month.

    A month, not a day: ranking products over many days would sum a row per product and
    day (about 130,000 rows for 30 days at a million orders a year); one month is one row
    per product, and the ranking index hands over the first ten.
    """

    month = models.DateField(help_text="The first day of the store month.")
    # Not sharded: orders that sell the same product queue for its stock row anyway.
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    units = models.BigIntegerField(default=0)
    revenue_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "product"], name="product_rollup_key"),
        ]
        indexes = [models.Index(fields=["month", "-units"], name="product_rollup_rank_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} product {self.product_id}: {self.units}"
