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


def picture_bytes(kind: str = "PNG", size: tuple[int, int] = (64, 48), **save) -> bytes:
    """A small real picture, encoded as ``kind`` (PNG, JPEG or WEBP)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, kind, **save)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` pixels (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )
