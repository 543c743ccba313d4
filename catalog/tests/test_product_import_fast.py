"""The bulk import path writes exactly what the row-by-row path writes."""

import pytest
import tablib
from django.db import transaction

from catalog.models import Product, StockMovement
from catalog.resources import ProductResource, ProductRowResource
from catalog.services import stock_reconcile
from catalog.tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db

ROWS = [
    # new, with stock; new without stock; changed price; changed stock only; unchanged
    ("NEW-1", "New one", "shoes", "12.50", "7", "1", "Fresh", ""),
    ("NEW-2", "New two", "hats", "3.00", "0", "no", "", "1.10"),
    ("OLD-1", "Old one", "shoes", "20.00", "5", "1", "", ""),
    ("OLD-2", "Old two", "hats", "8.00", "9", "1", "", ""),
    ("OLD-3", "Old three", "hats", "4.00", "2", "1", "", ""),
]
HEADERS = ["sku", "name", "category", "price", "stock", "is_active", "description", "cost"]


def outcome() -> dict:
    """What an import leaves behind, without ids and timestamps."""
    products = sorted(
        Product.objects.values_list(
            "sku",
            "name",
            "category__slug",
            "price",
            "cost",
            "stock",
            "is_active",
            "description",
            "low_stock_threshold",
        )
    )
    history = sorted(
        (
            h.sku,
            h.history_type,
            h.name,
            h.price,
            h.cost,
            h.is_active,
            h.history_user_id,
            (h.history_change_reason or "").startswith("import:"),
        )
        for h in Product.history.all()
    )
    ledger = sorted(
        (m.product.sku, m.quantity, m.balance, m.reason, m.created_by_id)
        for m in StockMovement.objects.select_related("product")
    )
    return {"products": products, "history": history, "ledger": ledger}


def run(resource_class, user) -> tuple[dict, dict]:
    dataset = tablib.Dataset(*ROWS, headers=HEADERS)
    result = resource_class().import_data(dataset, dry_run=False, user=user)
    assert not result.has_errors() and not result.has_validation_errors()
    return outcome(), dict(result.totals)


def test_fast_and_row_paths_write_the_same_rows(superuser):
    shoes, hats = make_category("Shoes", "shoes"), make_category("Hats", "hats")
    make_product("OLD-1", name="Old one", category=shoes, price="18.00", stock=5)
    make_product("OLD-2", name="Old two", category=hats, price="8.00", stock=3)
    make_product("OLD-3", name="Old three", category=hats, price="4.00", stock=2)

    with transaction.atomic():
        row_path, row_totals = run(ProductRowResource, superuser)
        transaction.set_rollback(True)
    fast_path, fast_totals = run(ProductResource, superuser)

    assert fast_path == row_path
    assert fast_totals == row_totals
    assert (fast_totals["new"], fast_totals["update"], fast_totals["skip"]) == (2, 2, 1)
    assert stock_reconcile() == []


def test_fast_path_dry_run_keeps_nothing(superuser):
    make_category("Shoes", "shoes"), make_category("Hats", "hats")
    before = outcome()
    dataset = tablib.Dataset(*ROWS, headers=HEADERS)
    result = ProductResource().import_data(dataset, dry_run=True, user=superuser)
    assert result.totals["new"] == 5
    assert outcome() == before


def test_admin_preview_shows_a_summary_and_a_sample_not_every_row(admin_client_super):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    make_category("Shoes", "shoes")
    rows = "\n".join(f"BULK-{n:04d},Bulk {n},shoes,1.00,1,1" for n in range(120))
    upload = SimpleUploadedFile(
        "bulk.csv", f"sku,name,category,price,stock,is_active\n{rows}\n".encode()
    )
    preview = admin_client_super.post(
        reverse("admin:catalog_product_import"), {"import_file": upload, "format": 0}
    )
    body = preview.content.decode()
    assert "120 rows: 120 new, 0 updated, 0 unchanged." in body
    assert "Showing a sample of 50 new and updated rows" in body
    assert body.count("BULK-") == 50  # the sample, not all 120 rows
    assert not Product.objects.filter(sku__startswith="BULK-").exists()
