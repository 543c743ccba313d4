"""Admin of the catalog: products, categories and the stock ledger."""

from catalog.admin.categories import CategoryAdmin
from catalog.admin.movements import StockMovementAdmin
from catalog.admin.products import ProductAdmin

__all__ = ["CategoryAdmin", "ProductAdmin", "StockMovementAdmin"]
