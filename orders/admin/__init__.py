"""Admin of orders and customers."""

from orders.admin import links  # noqa: F401  (registers where order:… references lead)
from orders.admin.customers import CustomerAdmin
from orders.admin.orders import OrderAdmin

__all__ = ["CustomerAdmin", "OrderAdmin"]
