"""Categories, products and the stock ledger."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from simple_history.models import HistoricalRecords

from foundation.links import reference_text


class Category(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True, help_text="Used in CSV files.")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # A category cannot be its own ancestor: walk up from the chosen parent.
        seen, node = set(), self.parent
        while node is not None:
            if node.pk == self.pk or node.pk in seen:
                raise ValidationError({"parent": "A category cannot be inside itself."})
            seen.add(node.pk)
            node = node.parent


# The largest price a product can have (its column holds ten digits, two after the point).
MAX_PRICE = Decimal("99999999.99")
# The largest stock a product can have, and the largest single move: far below what an
# integer column holds, so that no sum of moves overflows it.
MAX_STOCK = 1_000_000_000


def sku_key(sku: str) -> str:
    """Return the form in which SKUs are compared: CASE-1 and case-1 are the same SKU."""
    return sku.upper()


def sku_problem(sku: str) -> str | None:
    """Why ``sku`` cannot be a SKU, or None.

    SKUs are printable ASCII without spaces. Python, PostgreSQL and MariaDB agree on upper
    and lower case only there: beyond it "ß" is "SS" to Python and "ß" to PostgreSQL, and
    MariaDB's collation also takes "É" for "E", so "ignoring case" would differ between
    the application and its unique constraints.
    """
    if sku.isascii() and sku.isprintable() and " " not in sku:
        return None
    bad = next(c for c in sku if not (c.isascii() and c.isprintable()) or c == " ")
    shown = "a space" if bad == " " else repr(bad)
    return (
        f"A SKU is letters A-Z, digits and punctuation, without spaces or accents "
        f"({shown} in {sku[:64]!r})."
    )


def validate_sku(value: str) -> None:
    if (problem := sku_problem(value)) is not None:
        raise ValidationError(problem, code="invalid_sku")


class StockState(models.TextChoices):
    OUT = "out", "Out of stock"
    LOW = "low", "Low stock"
    IN = "in", "In stock"


# The same states as Product.stock_state, as database conditions (filters, dashboard).
STOCK_STATE_QUERIES = {
    StockState.OUT: Q(stock__lte=0),
    StockState.LOW: Q(stock__gt=0, stock__lte=F("low_stock_threshold")),
    StockState.IN: Q(stock__gt=F("low_stock_threshold")),
}


class Product(models.Model):
    # Unique through Meta.constraints (product_sku_unique), not unique=True: on PostgreSQL
    # that would add a second, pattern-ops index on the column that no query uses and every
    # write pays for (about 0.4 s per 100k imported rows).
    sku = models.CharField("SKU", max_length=64, validators=[validate_sku])
    name = models.CharField(max_length=200)
    # No index of its own: product_category_sku_idx starts with it (one less index for
    # every imported row to maintain).
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", db_index=False
    )
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    cost = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    # A cached counter of the ledger: only catalog.services writes it (see save()).
    stock = models.IntegerField(default=0, editable=False)
    low_stock_threshold = models.PositiveIntegerField(
        default=5, help_text="At or below this stock the product counts as low on stock."
    )
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The ledger (StockMovement) is the history of stock. History rows are read by product
    # id only: the SKU and category indexes simple-history would copy cost every import
    # (about 0.2 s per 100k rows) and serve no query.
    history = HistoricalRecords(excluded_fields=["stock"], no_db_index=["sku", "category"])

    class Meta:
        ordering = ["sku"]
        permissions = [("adjust_stock", "Can adjust stock by hand")]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="product_stock_gte_0"),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_gte_0"),
            models.CheckConstraint(
                condition=Q(cost__isnull=True) | Q(cost__gte=0), name="product_cost_gte_0"
            ),
            # The SKU as written (the list's SKU order reads this index); on MySQL and
            # MariaDB, with the column's case-insensitive collation, also SKUs ignoring case.
            models.UniqueConstraint(fields=["sku"], name="product_sku_unique"),
            # SKUs ignore case (sku_key): CASE-1 and case-1 are one product. MySQL and
            # MariaDB have no expression indexes; there the constraint above gives the rule.
            models.UniqueConstraint(
                Upper("sku"),
                name="product_sku_upper_unique",
                violation_error_message=(
                    "A product with this SKU already exists (SKUs ignore upper and lower case)."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["is_active"], name="product_active_idx"),
            models.Index(fields=["price"], name="product_price_idx"),
            models.Index(fields=["updated_at"], name="product_updated_idx"),
            models.Index(fields=["stock"], name="product_stock_idx"),
            # The list filtered by category, in SKU order, straight from one index.
            models.Index(fields=["category", "sku"], name="product_category_sku_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"

    def save(self, *args, **kwargs) -> None:
        # Saving a product never writes its stock: a form or import holds a counter read
        # earlier, and writing it back would undo moves made since (a lost update).
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "stock"
            ]
        elif self._state.adding and self.stock:
            raise ValueError(
                "A new product starts with stock 0; use catalog.services.stock_adjust."
            )
        super().save(*args, **kwargs)

    save.alters_data = True

    @property
    def stock_state(self) -> str:
        if self.stock <= 0:
            return StockState.OUT
        if self.stock <= self.low_stock_threshold:
            return StockState.LOW
        return StockState.IN


class ProductImage(models.Model):
    """A picture of a product. The one with the lowest position is the main picture.

    Files are checked and written anew on upload (foundation.images) and removed from
    storage when the picture or its product is deleted (catalog.receivers).
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField("picture", max_length=255)
    thumbnail = models.ImageField(max_length=255, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    alt_text = models.CharField(
        "description", max_length=200, blank=True, help_text="What the picture shows, in words."
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product", "position", "id"]
        indexes = [models.Index(fields=["product", "position", "id"], name="image_product_idx")]

    def __str__(self) -> str:
        return self.alt_text or self.image.name.rsplit("/", 1)[-1]


def main_thumbnail(product: str = "pk", file: str = "thumbnail") -> models.Subquery:
    """A subquery: the thumbnail (or ``file``) of the main picture of ``product``."""
    first = ProductImage.objects.filter(product=models.OuterRef(product))
    return models.Subquery(first.order_by("position", "id").values(file)[:1])


def with_main_thumbnail(products: models.QuerySet) -> models.QuerySet:
    """Annotate each product with its main picture's thumbnail (``main_thumbnail``)."""
    return products.annotate(main_thumbnail=main_thumbnail())


def with_main_picture(products: models.QuerySet) -> models.QuerySet:
    """Annotate each product with its main picture's file name (``main_picture``)."""
    return products.annotate(main_picture=main_thumbnail(file="image"))


class StockMovement(models.Model):
    """One change of one product's stock. Rows are only ever added, never changed."""

    class Reason(models.TextChoices):
        INITIAL = "initial", "Initial stock"
        ADJUSTMENT = "adjustment", "Adjustment"
        COUNT = "count", "Stock count"
        IMPORT = "import", "Import"
        ORDER = "order", "Order"
        CANCEL = "cancel", "Order cancelled"
        RETURN = "return", "Order returned"
        ORDER_DELETED = "order_deleted", "Order deleted"

    # Indexed by movement_product_idx, which starts with it.
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="movements", db_index=False
    )
    quantity = models.IntegerField(help_text="Signed: positive adds stock, negative takes it.")
    balance = models.IntegerField(help_text="The product's stock right after this move.")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    reference = models.CharField(
        max_length=64, blank=True, help_text="What caused the move, e.g. order:ORD-000042."
    )
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="movement_quantity_not_0"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="movement_balance_gte_0"),
        ]
        indexes = [
            models.Index(fields=["product", "-created_at"], name="movement_product_idx"),
            models.Index(fields=["reference", "product"], name="movement_reference_idx"),
            models.Index(fields=["-created_at"], name="movement_created_idx"),
            models.Index(fields=["reason"], name="movement_reason_idx"),
        ]

    def __str__(self) -> str:
        """E.g. "-5 x MUG-01 (order ORD-000180)" with a true minus and times sign: the title
        of the movement's page."""
        sign = "+" if self.quantity > 0 else "\N{MINUS SIGN}"
        reference = reference_text(self.reference)
        if self.reason == self.Reason.ORDER and reference:
            why = reference
        else:
            label = str(self.get_reason_display()).lower()
            why = f"{label}, {reference}" if reference else label
        return f"{sign}{abs(self.quantity)} \N{MULTIPLICATION SIGN} {self.product.sku} ({why})"
