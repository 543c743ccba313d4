"""Admin of orders and customers."""

from orders.admin.customers import CustomerAdmin
from orders.admin.orders import OrderAdmin

__all__ = ["CustomerAdmin", "OrderAdmin"]
