"""Small builders for catalog tests. Stock always arrives through the ledger."""

from decimal import Decimal
from itertools import count

from catalog.models import Category, Product, StockMovement
from catalog.services import stock_adjust

_numbers = count(1)


def make_category(name: str | None = None, slug: str | None = None, **extra) -> Category:
    n = next(_numbers)
    name = name or f"Category {n}"
    return Category.objects.create(name=name, slug=slug or f"category-{n}", **extra)


def make_product(
    sku: str | None = None,
    *,
    stock: int = 0,
    category: Category | None = None,
    price: str | Decimal = "10.00",
    **extra,
) -> Product:
    n = next(_numbers)
    product = Product.objects.create(
        sku=sku or f"SKU-{n:05d}",
        name=extra.pop("name", f"Product {n}"),
        category=category or make_category(),
        price=Decimal(price),
        **extra,
    )
    if stock:
        stock_adjust(product=product, quantity=stock, reason=StockMovement.Reason.INITIAL)
    return product


def ledger_total(product: Product) -> int:
    return sum(product.movements.values_list("quantity", flat=True))
