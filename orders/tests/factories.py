"""Small builders for order tests. Orders are saved the way the app saves them."""

from itertools import count

from django.db import transaction

from catalog.models import Product
from orders.models import Customer, Order, OrderItem, OrderStatus
from orders.services import flush_order_changes, order_changes_deferred

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


@transaction.atomic
def make_order(
    lines: list[tuple[Product, int]],
    *,
    customer: Customer | None = None,
    status: str = OrderStatus.PENDING,
    user=None,
    **extra,
) -> Order:
    """Create an order with its lines as the admin does: stock moves once, at the end."""
    with order_changes_deferred(user=user):
        order = Order.objects.create(customer=customer or make_customer(), status=status, **extra)
        for product, quantity in lines:
            OrderItem.objects.create(order=order, product=product, quantity=quantity)
        flush_order_changes()
    order.refresh_from_db()
    return order


def held(order: Order) -> dict[str, int]:
    """Units the ledger says the order holds, per SKU (only non-zero)."""
    result: dict[str, int] = {}
    for movement in order_movements(order):
        result[movement.product.sku] = result.get(movement.product.sku, 0) - movement.quantity
    return {sku: units for sku, units in result.items() if units}


def order_movements(order: Order):
    from catalog.models import StockMovement

    return StockMovement.objects.filter(reference=order.stock_reference).select_related("product")
