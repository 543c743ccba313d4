"""Builders for order tests. Orders are written the way the app writes them (services)."""

from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from catalog.models import Product, StockMovement
from catalog.tests.factories import make_product
from orders.models import Customer, Order, OrderItem, OrderStatus
from orders.services import order_delete, order_save, order_transition

_numbers = count(1)


def make_customer(email: str | None = None, **extra) -> Customer:
    n = next(_numbers)
    return Customer.objects.create(
        email=email or f"customer{n}@example.com",
        first_name=extra.pop("first_name", "Ada"),
        last_name=extra.pop("last_name", f"Customer{n}"),
        country=extra.pop("country", "DE"),
        **extra,
    )


def make_order(
    lines: list[tuple[Product, int]],
    *,
    customer: Customer | None = None,
    user=None,
    **extra,
) -> Order:
    """Create a pending order with its lines as the admin does: stock moves once."""
    order = Order(customer=customer or make_customer(), status=OrderStatus.PENDING, **extra)
    add = [OrderItem(product=product, quantity=quantity) for product, quantity in lines]
    order_save(order=order, user=user, add=add)
    order.refresh_from_db()
    return order


def move_order(order: Order, *statuses: str, user) -> Order:
    """Walk ``order`` through ``statuses`` with ``order_transition`` (``user`` may do each)."""
    for status in statuses:
        order = order_transition(order=order, to_status=status, user=user)
    return order


def held(order: Order) -> dict[str, int]:
    """Units the ledger says the order holds, per SKU (only non-zero)."""
    result: dict[str, int] = {}
    for movement in order_movements(order):
        result[movement.product.sku] = result.get(movement.product.sku, 0) - movement.quantity
    return {sku: units for sku, units in result.items() if units}


def order_movements(order: Order):
    return StockMovement.objects.filter(reference=order.stock_reference).select_related("product")


def store_with_history(user) -> None:
    """Orders over 70 days in every status, some edited, one deleted (``user`` may do all)."""
    mug, tee = make_product("MUG", stock=500, price="8.00"), make_product("TEE", stock=500)
    now = timezone.now()
    walks = [
        (),
        (OrderStatus.PAID,),
        (OrderStatus.PAID, OrderStatus.SHIPPED),
        (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED),
        (OrderStatus.CANCELLED,),
        (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.RETURNED),
    ]
    for n in range(24):
        placed = now - timedelta(days=n * 3, hours=n)
        order = make_order(
            [(mug, 1 + n % 3), (tee, 1 + n % 2)][: 1 + n % 2],
            placed_at=placed,
            shipping_cost=Decimal(n % 4),
        )
        if n % 5 == 0:
            line = order.items.first()
            line.quantity += 1
            order_save(order=order, user=user, change=[line])
            order.refresh_from_db()
        move_order(order, *walks[n % len(walks)], user=user)
    order_delete(order=Order.objects.order_by("pk").first(), user=user)


# POST data of the order admin ----------------------------------------------------------------


def order_payload(customer, lines, *, order: Order | None = None, **fields) -> dict:
    """POST data of the order form with its inline formset ("items").

    ``lines``: dicts with ``product``, ``quantity`` and optionally ``unit_price``, ``id``
    (an existing line) and ``delete``.
    """
    data = {
        "customer": customer.pk,
        "placed_at_0": "2026-11-20",
        "placed_at_1": "10:00:00",
        "shipping_cost": "0.00",
        "discount": "0.00",
        "notes": "",
        "shipping_name": "",
        "shipping_street": "",
        "shipping_city": "",
        "shipping_postal_code": "",
        "shipping_country": "",
        "items-TOTAL_FORMS": len(lines),
        "items-INITIAL_FORMS": sum(1 for line in lines if line.get("id")),
        "items-MIN_NUM_FORMS": 1,
        "items-MAX_NUM_FORMS": 1000,
    }
    if order is not None:
        data["status"] = order.status
        data["read_version"] = order.version  # what the page carries: the version read
    for i, line in enumerate(lines):
        data[f"items-{i}-product"] = line["product"].pk
        data[f"items-{i}-quantity"] = line["quantity"]
        data[f"items-{i}-unit_price"] = line.get("unit_price", "")
        if line.get("id"):
            data[f"items-{i}-id"] = line["id"]
            data[f"items-{i}-order"] = order.pk
        if line.get("delete"):
            data[f"items-{i}-DELETE"] = "on"
    data.update(fields)
    return data


def lines_of(order: Order) -> list[dict]:
    """The order's current lines, as ``order_payload`` takes them."""
    return [
        {
            "id": item.pk,
            "product": item.product,
            "quantity": item.quantity,
            "unit_price": item.unit_price,
        }
        for item in order.items.order_by("pk")
    ]
