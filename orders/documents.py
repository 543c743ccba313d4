"""Printable documents of orders: packing slips, invoices and pick lists.

The data of any number of orders (up to ``MAX_DOCUMENTS``) is read in a fixed number of
queries: the orders with their customers, then all their lines with their products. The
pick list is one aggregate over the lines. Nothing here writes.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Sum

from orders.models import EDITABLE, Order, OrderItem

# Orders printed at once: one page each, so a browser still renders the lot in seconds.
MAX_DOCUMENTS = 500


class TooManyOrders(ValueError):
    """More orders than one print may hold (MAX_DOCUMENTS)."""


def store_name() -> str:
    return settings.STORE_NAME


@dataclass(frozen=True)
class DocumentLine:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal


@dataclass
class OrderDocument:
    """What a packing slip or an invoice of one order shows."""

    order: Order
    lines: list[DocumentLine] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.line_total for line in self.lines), Decimal("0.00"))

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def address_lines(self) -> list[str]:
        """The shipping address; the customer's own where the order has none."""
        o, c = self.order, self.order.customer
        if o.shipping_street or o.shipping_city:
            name = o.shipping_name or c.full_name
            parts = [name, o.shipping_street, f"{o.shipping_postal_code} {o.shipping_city}"]
            parts.append(o.shipping_country)
        else:
            parts = [c.full_name, c.street, f"{c.postal_code} {c.city}", c.country]
        return [part.strip() for part in parts if part and part.strip()]


def parse_order_ids(raw: str) -> list[int]:
    """``"3,1,2"`` -> [1, 2, 3]. Raises ValueError for anything but ids, TooManyOrders
    beyond MAX_DOCUMENTS."""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if len(parts) > MAX_DOCUMENTS:
        raise TooManyOrders(len(parts))
    if not parts or not all(part.isdigit() and len(part) <= 18 for part in parts):
        raise ValueError(raw)
    return sorted({int(part) for part in parts})


def order_documents(order_ids: list[int]) -> list[OrderDocument]:
    """The documents of these orders, by order number, in two queries whatever their number
    or the number of their lines. Ids of orders that do not exist are left out."""
    if len(order_ids) > MAX_DOCUMENTS:
        raise TooManyOrders(len(order_ids))
    orders = Order.objects.filter(pk__in=order_ids).select_related("customer").order_by("number")
    documents = {order.pk: OrderDocument(order) for order in orders}
    if not documents:
        return []
    lines = (
        OrderItem.objects.filter(order_id__in=list(documents))
        .order_by("order_id", "id")
        .values_list("order_id", "product__sku", "product__name", "quantity", "unit_price")
    )
    for order_id, sku, name, quantity, unit_price in lines:
        price = unit_price or Decimal("0.00")
        documents[order_id].lines.append(DocumentLine(sku, name, quantity, price, price * quantity))
    return list(documents.values())


@dataclass(frozen=True)
class PickRow:
    sku: str
    name: str
    quantity: int
    orders: int  # how many of the orders ask for it


@dataclass
class PickList:
    rows: list[PickRow]
    orders: list[Order]  # the orders picked for: still to ship (pending or paid)
    left_out: list[Order]  # selected but shipped, delivered, cancelled or returned

    @property
    def units(self) -> int:
        return sum(row.quantity for row in self.rows)


def pick_list(order_ids: list[int]) -> PickList:
    """Units to pick for the selected orders that are still to ship, per product, by SKU;
    two queries whatever the number of orders or lines."""
    if len(order_ids) > MAX_DOCUMENTS:
        raise TooManyOrders(len(order_ids))
    orders = list(
        Order.objects.filter(pk__in=order_ids).only("pk", "number", "status").order_by("number")
    )
    to_pick = [order for order in orders if order.status in EDITABLE]
    rows = (
        OrderItem.objects.filter(order_id__in=[order.pk for order in to_pick])
        .values("product__sku", "product__name")
        .annotate(units=Sum("quantity"), in_orders=Count("order_id", distinct=True))
        .order_by("product__sku")
    )
    return PickList(
        rows=[
            PickRow(r["product__sku"], r["product__name"], r["units"], r["in_orders"]) for r in rows
        ]
        if to_pick
        else [],
        orders=to_pick,
        left_out=[order for order in orders if order.status not in EDITABLE],
    )
