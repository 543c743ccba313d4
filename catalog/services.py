"""Catalog writes that carry business rules. All stock moves go through this module.

``stock_move`` applies any number of signed moves in one go: it locks the products' rows
in a single statement in primary-key order (so two transactions never wait on each other
in a cycle), refuses with ``InsufficientStock`` before anything is written if a move would
take a counter below zero, then writes the counters and appends the ledger rows. Its
wrappers: ``stock_adjust`` (one product) and ``stock_set_bulk`` (levels after a count or
an import). On SQLite, where row locks do not exist, the ``IMMEDIATE`` transaction mode
(settings) serialises writers instead.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import MAX_PRICE, MAX_STOCK, Product, ProductImage, StockMovement
from foundation.bulk import bulk_insert, key_chunks
from foundation.images import PreparedImage, prepare_image

# Keeps every IN (...) list under SQLite's and PostgreSQL's bound-parameter limits.
CHUNK_SIZE = 900


class StockOutOfRange(ValueError):
    """A move that would take a product's stock above MAX_STOCK (or a move larger than it)."""


class InsufficientStock(Exception):
    """A move would take a product's stock below zero."""

    def __init__(self, *, product: Product, asked: int, available: int) -> None:
        self.product = product
        self.asked = asked
        self.available = available
        super().__init__(
            f"Not enough stock for {product.sku} ({product.name}): "
            f"asked {asked}, available {available}."
        )


def stock_lock(product_ids: Iterable[int]) -> None:
    """Before writing rows that reference these products (order lines), lock them as a
    stock move will, on MySQL and MariaDB.

    InnoDB takes a shared lock on a product when a row referencing it is inserted; two
    orders of the same product that both hold it and then ask ``stock_move`` for the
    exclusive lock deadlock. Taking the exclusive lock first (in pk order) makes the
    second order wait instead. PostgreSQL's key-share lock does not conflict with the
    ``NO KEY`` lock that ``stock_move`` takes, and SQLite has one writer at a time.
    """
    if connection.vendor == "mysql":
        _lock_products(product_ids)


@dataclass(frozen=True)
class StockMove:
    """One signed change of one product's stock, and why."""

    product_id: int
    quantity: int
    reason: str


def _chunks(items: list, size: int = CHUNK_SIZE) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _lock_products(product_ids: Iterable[int]) -> dict[int, Product]:
    """Lock the given products' rows in pk order; return them with sku, name and stock.

    Plain SQL on every database: every order takes this lock, and building and compiling
    the queryset took about a tenth of an API order's CPU.
    """
    features = connection.features
    # NO KEY: on PostgreSQL the lock then does not block the key-share lock that inserting
    # an order line (a foreign key to the product) takes meanwhile. SQLite has one writer
    # at a time and no row locks.
    if features.has_select_for_no_key_update:
        lock = "FOR NO KEY UPDATE"
    else:
        lock = "FOR UPDATE" if features.has_select_for_update else ""
    locked: dict[int, Product] = {}
    with connection.cursor() as cursor:
        for condition, keys in key_chunks(sorted(set(product_ids)), "id", chunk=CHUNK_SIZE):
            cursor.execute(
                f"SELECT id, stock, sku, name FROM {Product._meta.db_table} "
                f"WHERE {condition} ORDER BY id {lock}",
                keys,
            )
            for pk, stock, sku, name in cursor.fetchall():
                locked[pk] = Product(pk=pk, stock=stock, sku=sku, name=name)
    return locked


def stock_move(
    *,
    moves: Sequence[StockMove],
    reference: str = "",
    note: str = "",
    user=None,
) -> list[StockMovement]:
    """Apply every move (in product order) and write one ledger row each, or none at all.

    Raise ``InsufficientStock`` for the first product that would go below zero; then
    nothing is written. A product that no longer exists is a ``Product.DoesNotExist``.
    """
    if connection.in_atomic_block:
        # Every refusal is raised before the first write, so inside the caller's
        # transaction a savepoint would only add two round trips to every order.
        return _stock_move(moves, reference=reference, note=note, user=user)
    with transaction.atomic():
        return _stock_move(moves, reference=reference, note=note, user=user)


def _stock_move(
    moves: Sequence[StockMove], *, reference: str, note: str, user
) -> list[StockMovement]:
    moves = sorted((m for m in moves if m.quantity), key=lambda m: m.product_id)
    if not moves:
        return []
    locked = _lock_products(m.product_id for m in moves)
    balances = {pk: product.stock for pk, product in locked.items()}
    now = timezone.now()
    rows = []
    for move in moves:
        if move.product_id not in balances:
            raise Product.DoesNotExist(f"Product {move.product_id} does not exist.")
        balance = balances[move.product_id] + move.quantity
        if balance > MAX_STOCK or abs(move.quantity) > MAX_STOCK:
            product = locked[move.product_id]
            raise StockOutOfRange(
                f"{product.sku}: a stock of {balance:,} is more than the {MAX_STOCK:,} a "
                "product can hold. Nothing was changed."
            )
        if balance < 0:
            raise InsufficientStock(
                product=locked[move.product_id],
                asked=-move.quantity,
                available=balances[move.product_id],
            )
        balances[move.product_id] = balance
        rows.append(
            StockMovement(
                product_id=move.product_id,
                quantity=move.quantity,
                balance=balance,
                reason=move.reason,
                reference=reference,
                note=note,
                created_by=user,
                created_at=now,
            )
        )
    if connection.vendor == "postgresql":
        _write_counters_and_ledger_postgresql(rows, balances)
        return rows
    _write_counters({m.product_id: balances[m.product_id] for m in moves})
    return StockMovement.objects.bulk_create(rows)


def _write_counters_and_ledger_postgresql(
    rows: list[StockMovement], balances: Mapping[int, int]
) -> None:
    """Write the locked products' counters and append their ledger rows in one statement
    (an order's stock moves cost one round trip); give the rows their new ids."""
    counters = sorted(balances.items())
    ids = [pk for pk, _ in counters]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH counters AS (UPDATE {Product._meta.db_table} AS p SET stock = v.stock "
            "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, stock) WHERE p.id = v.id) "
            f"INSERT INTO {StockMovement._meta.db_table} "
            f"({', '.join(MOVEMENT_COLUMNS)}) "
            "SELECT * FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::varchar[], "
            "%s::varchar[], %s::varchar[], %s::bigint[], %s::timestamptz[]) RETURNING id",
            [
                ids,
                [stock for _, stock in counters],
                [m.product_id for m in rows],
                [m.quantity for m in rows],
                [m.balance for m in rows],
                [m.reason for m in rows],
                [m.reference for m in rows],
                [m.note for m in rows],
                [m.created_by_id for m in rows],
                [m.created_at for m in rows],
            ],
        )
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row.pk = row.id = pk
            row._state.adding = False
            row._state.db = connection.alias


def stock_adjust(
    *,
    product: Product,
    quantity: int,
    reason: str,
    reference: str = "",
    note: str = "",
    user=None,
) -> StockMovement:
    """Move ``quantity`` (signed) of ``product``'s stock and write the ledger row.

    Raise ``InsufficientStock`` instead of going below zero; nothing is written then.
    ``product.stock`` is updated in place to the new balance.
    """
    if quantity == 0:
        raise ValueError("A stock move needs a non-zero quantity.")
    (movement,) = stock_move(
        moves=[StockMove(product.pk, quantity, reason)],
        reference=reference,
        note=note,
        user=user,
    )
    product.stock = movement.balance
    return movement


@transaction.atomic
def stock_set_bulk(
    *,
    levels: Mapping[int, int],
    reason: str,
    reference: str,
    note: str = "",
    user=None,
) -> Sequence[StockMovement]:
    """Set each product's stock (``{product_pk: new level}``), one ledger row per change.

    Products already at their level are left alone. The difference is computed under the
    row lock, so a sale that happens meanwhile is never overwritten. The ledger rows are
    appended with COPY on PostgreSQL (an import may set a hundred thousand levels).
    """
    negative = {pk: level for pk, level in levels.items() if level < 0}
    if negative:
        raise ValueError(f"Stock levels must be >= 0, got {negative}.")
    if connection.vendor == "postgresql":
        return _set_levels_postgresql(levels, reason, reference, note, user)
    locked = _lock_products(levels)
    if len(locked) != len(levels):
        raise Product.DoesNotExist(f"{len(levels) - len(locked)} of the products do not exist.")
    now = timezone.now()
    movements = [
        StockMovement(
            product_id=pk,
            quantity=level - locked[pk].stock,
            balance=level,
            reason=reason,
            reference=reference,
            note=note,
            created_by=user,
            created_at=now,
        )
        for pk, level in sorted(levels.items())
        if level != locked[pk].stock
    ]
    if not movements:
        return []
    _write_counters({m.product_id: m.balance for m in movements})
    _insert_movements(
        (
            m.product_id,
            m.quantity,
            m.balance,
            m.reason,
            m.reference,
            m.note,
            m.created_by_id,
            m.created_at,
        )
        for m in movements
    )
    return movements


def _set_levels_postgresql(
    levels: Mapping[int, int], reason: str, reference: str, note: str, user
) -> Sequence[StockMovement]:
    """``stock_set_bulk`` in one statement: lock the products in pk order, compare each
    counter with its new level under the lock, write the changed counters and append
    their ledger rows (10,000 levels: one round trip instead of a dozen and no product
    objects in Python)."""
    items = sorted(levels.items())
    ids = [pk for pk, _ in items]
    product, movement = Product._meta.db_table, StockMovement._meta.db_table
    now = timezone.now()
    user_id = getattr(user, "pk", None)
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH wanted AS (SELECT * FROM unnest(%s::bigint[], %s::integer[]) AS w(id, level)), "
            f"locked AS (SELECT p.id, p.stock FROM {product} p JOIN wanted w ON w.id = p.id "
            "ORDER BY p.id FOR NO KEY UPDATE OF p), "
            "changed AS (SELECT l.id, w.level, w.level - l.stock AS delta FROM locked l "
            "JOIN wanted w ON w.id = l.id WHERE w.level <> l.stock), "
            f"counters AS (UPDATE {product} p SET stock = c.level FROM changed c "
            "WHERE p.id = c.id) "
            f"INSERT INTO {movement} ({', '.join(MOVEMENT_COLUMNS)}) "
            "SELECT id, delta, level, %s, %s, %s, %s, %s FROM changed ORDER BY id "
            "RETURNING id, product_id, quantity, balance, (SELECT count(*) FROM locked)",
            [ids, [level for _, level in items], reason, reference, note, user_id, now],
        )
        rows = cursor.fetchall()
        found = rows[0][4] if rows else None
        if found is None:
            cursor.execute(f"SELECT count(*) FROM {product} WHERE id = ANY(%s)", [ids])
            (found,) = cursor.fetchone()
    if found != len(ids):
        # Raised inside stock_set_bulk's atomic block: nothing of the statement is kept.
        raise Product.DoesNotExist(f"{len(ids) - found} of the products do not exist.")
    return WrittenMovements(
        [(pk, product_id, quantity, balance) for pk, product_id, quantity, balance, _ in rows],
        (reason, reference, note, user_id, now),
    )


class WrittenMovements(Sequence[StockMovement]):
    """The ledger rows a bulk write appended, made into model objects only when read.

    A count of 10,000 levels answers with their number; building 10,000 model objects
    it never reads took about 0.15 s of that request.
    """

    def __init__(self, rows: list[tuple[int, int, int, int]], shared: tuple) -> None:
        self._rows = rows
        self._shared = shared

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._make(row) for row in self._rows[index]]
        return self._make(self._rows[index])

    def _make(self, row: tuple[int, int, int, int]) -> StockMovement:
        # Positional arguments in field order: the fast way to make model objects.
        return StockMovement(*row, *self._shared)


def stock_record_opening(
    *,
    product_ids: Sequence[int],
    reason: str,
    reference: str,
    user=None,
    chunk: int = 5000,
) -> int:
    """Write the opening ledger rows of products inserted in this transaction.

    The caller inserted these products with their counters already at their opening level;
    nobody else can see them before the commit, so there is nothing to lock or recompute.
    The database copies each counter into its ledger row (INSERT … SELECT). Returns the
    number of ledger rows written.
    """
    quote = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    user_id = getattr(user, "pk", None)
    written = 0
    with connection.cursor() as cursor:
        for condition, keys in key_chunks(product_ids, "id", chunk=chunk):
            cursor.execute(
                f"INSERT INTO {quote(StockMovement._meta.db_table)} "
                f"({', '.join(map(quote, MOVEMENT_COLUMNS))}) "
                f"SELECT id, stock, stock, %s, %s, '', %s, %s "
                f"FROM {quote(Product._meta.db_table)} "
                f"WHERE {condition} AND stock > 0",
                [reason, reference, user_id, now, *keys],
            )
            written += cursor.rowcount
    return written


MOVEMENT_COLUMNS = [
    "product_id",
    "quantity",
    "balance",
    "reason",
    "reference",
    "note",
    "created_by_id",
    "created_at",
]


def _insert_movements(rows: Iterable[tuple]) -> int:
    """Append ledger rows (tuples in MOVEMENT_COLUMNS order) in bulk; only this module may."""
    return bulk_insert(StockMovement, MOVEMENT_COLUMNS, rows)


def _write_counters(balances: Mapping[int, int]) -> None:
    """Write new counters for already-locked products, one statement per chunk."""
    items = sorted(balances.items())
    if len(items) == 1:
        ((pk, stock),) = items
        Product.objects.filter(pk=pk).update(stock=stock)
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for chunk in _chunks(items, 5000):
                cursor.execute(
                    f"UPDATE {Product._meta.db_table} AS p SET stock = v.stock "
                    "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, stock) WHERE p.id = v.id",
                    [[pk for pk, _ in chunk], [stock for _, stock in chunk]],
                )
        return
    products = [Product(pk=pk, stock=stock) for pk, stock in items]
    Product.objects.bulk_update(products, ["stock"], batch_size=CHUNK_SIZE)


@dataclass(frozen=True)
class StockDisagreement:
    product_id: int
    sku: str
    stock: int
    ledger: int


def stock_reconcile() -> list[StockDisagreement]:
    """Return every product whose counter differs from the sum of its ledger rows."""
    ledger = (
        StockMovement.objects.filter(product=OuterRef("pk"))
        .order_by()
        .values("product")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    rows = (
        Product.objects.annotate(ledger=Coalesce(Subquery(ledger, output_field=IntegerField()), 0))
        .exclude(stock=F("ledger"))
        .order_by("pk")
        .values_list("pk", "sku", "stock", "ledger")
    )
    return [StockDisagreement(*row) for row in rows]


def products_adjust_stock(
    *,
    products: Iterable[Product],
    quantity: int,
    reason: str,
    note: str = "",
    user=None,
) -> list[StockMovement]:
    """Move the same quantity for every product: all of them, or none (InsufficientStock)."""
    return stock_move(
        moves=[StockMove(product.pk, quantity, reason) for product in products],
        note=note,
        user=user,
    )


@transaction.atomic
def products_set_active(*, products: QuerySet[Product], active: bool) -> int:
    """Activate or deactivate products; return how many changed. Each change is in history."""
    changed = 0
    for product in products.exclude(is_active=active):
        product.is_active = active
        product.save(update_fields=["is_active", "updated_at"])
        changed += 1
    return changed


def products_new_prices(products: Iterable[Product], percent: Decimal) -> list[tuple]:
    """Return (product, new price) for each product, ``percent`` (e.g. 10 or -15) applied.

    Raise ``ValueError`` naming the first product whose price would leave the allowed range.
    """
    if percent <= -100:
        raise ValueError("A price cut must be less than 100%.")
    factor = 1 + percent / Decimal(100)
    prices = []
    for product in products:
        new_price = (product.price * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if new_price > MAX_PRICE:
            raise ValueError(
                f"{product.sku}: {percent:+}% would make its price {new_price:,}; prices are "
                f"at most {MAX_PRICE:,}. Nothing was changed."
            )
        prices.append((product, new_price))
    return prices


@transaction.atomic
def products_change_price(*, products: QuerySet[Product], percent: Decimal) -> int:
    """Change prices by ``percent``, rounded to cents; all of them or none. Return how many."""
    changed = 0
    for product, new_price in products_new_prices(products, percent):
        if new_price == product.price:
            continue
        product.price = new_price
        product.save(update_fields=["price", "updated_at"])
        changed += 1
    return changed


# Pictures --------------------------------------------------------------------------------


def product_image_prepare(upload) -> PreparedImage:
    """Check an uploaded picture and write it anew (``ImageRefused`` says what is wrong)."""
    return prepare_image(
        upload,
        max_bytes=settings.PRODUCT_IMAGE_MAX_BYTES,
        max_pixels=settings.PRODUCT_IMAGE_MAX_PIXELS,
        folder="products",
    )


@transaction.atomic
def product_image_add(
    *, product: Product, prepared: PreparedImage, alt_text: str = "", position=None, user=None
) -> ProductImage:
    """Store a prepared picture as the product's last (or ``position``-th) picture."""
    if position is None:
        last = product.images.order_by("-position").values_list("position", flat=True).first()
        position = 0 if last is None else last + 1
    image = ProductImage.objects.create(
        product=product,
        image=prepared.image,
        thumbnail=prepared.thumbnail,
        width=prepared.width,
        height=prepared.height,
        alt_text=alt_text,
        position=position,
    )
    _record_product_change(product, f"Picture added: {image}", user)
    return image


@transaction.atomic
def product_image_update(
    *, image: ProductImage, prepared: PreparedImage | None = None, user=None, **fields
) -> ProductImage:
    """Change a picture's description or position, or replace its file."""
    for name, value in fields.items():
        setattr(image, name, value)
    if prepared is not None:  # the old files go once this commits (catalog.receivers)
        image.image, image.thumbnail = prepared.image, prepared.thumbnail
        image.width, image.height = prepared.width, prepared.height
    image.save()
    _record_product_change(image.product, f"Picture changed: {image}", user)
    return image


@transaction.atomic
def product_image_delete(*, image: ProductImage, user=None) -> None:
    """Delete a picture; its files are removed once this commits (catalog.receivers)."""
    product = image.product
    image.delete()
    _record_product_change(product, f"Picture removed: {image}", user)


def _record_product_change(product: Product, reason: str, user) -> None:
    """Write a history row of ``product`` that says what changed around it."""
    product._change_reason = reason
    if getattr(user, "is_authenticated", False):
        product._history_user = user
    product.save(update_fields=["updated_at"])
