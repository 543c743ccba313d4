"""Catalog exports (products, the stock ledger): columns, formula escaping, permissions."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.resources import ProductResource, StockMovementResource
from catalog.services import stock_adjust
from catalog.tests.factories import make_product

pytestmark = pytest.mark.django_db


def export_rows(queryset=None) -> list[dict]:
    dataset = ProductResource().export(queryset)
    return list(csv.DictReader(io.StringIO(dataset.csv)))


def test_product_export_uses_category_slug_and_all_columns(categories):
    make_product("E-1", stock=4, category=categories[0], price="9.99", cost=Decimal("3.00"))
    [row] = export_rows()
    assert row == {
        "sku": "E-1",
        "name": row["name"],
        "category": "shoes",
        "price": "9.99",
        "stock": "4",
        "is_active": "1",
        "description": "",
        "cost": "3.00",
        "low_stock_threshold": "5",
        "image_url": "",
    }


def test_product_export_escapes_formula_cells(categories):
    for n, prefix in enumerate(["=", "+", "-", "@", "\t", "\r"]):
        make_product(f"F-{n}", name=f"{prefix}SUM(A1)", category=categories[0], description="@cmd")
    rows = export_rows()
    assert sorted(row["name"] for row in rows) == sorted(
        f"'{prefix}SUM(A1)" for prefix in ["=", "+", "-", "@", "\t", "\r"]
    )
    assert all(row["description"] == "'@cmd" for row in rows)


def test_stock_ledger_export_escapes_formulas():
    product = make_product("F-1")
    stock_adjust(product=product, quantity=2, reason="adjustment", note='=HYPERLINK("x")')
    rows = StockMovementResource().export().dict
    assert rows[0]["note"] == '\'=HYPERLINK("x")'
    assert rows[0]["sku"] == "F-1"


def test_stock_ledger_export_writes_numbers_as_numbers(admin_client_super):
    from openpyxl import load_workbook

    product = make_product("NUM-1", stock=5)
    stock_adjust(product=product, quantity=-1, reason="adjustment", note="-1 broken")
    url = reverse("admin:catalog_stockmovement_export")
    xlsx = admin_client_super.post(url, {"format": 1, "resource": 0})
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    latest = dict(zip(header, rows[1], strict=True))
    assert (latest["quantity"], latest["balance"]) == (-1, 4)  # numbers, not text
    assert latest["note"] == "'-1 broken"  # text cells are still escaped
    text = admin_client_super.post(url, {"format": 0, "resource": 0}).content.decode()
    [first, *_] = list(csv.DictReader(io.StringIO(text)))
    assert (first["quantity"], first["balance"], first["note"]) == ("-1", "4", "'-1 broken")


def test_product_export_admin_needs_the_view_permission(client_for, make_staff, categories):
    make_product("VIS-1", category=categories[0])
    url = reverse("admin:catalog_product_export")
    allowed = client_for(make_staff("Read-only")).post(url, {"format": 0, "resource": 0})
    assert allowed.status_code == 200 and b"VIS-1" in allowed.content
    nobody = client_for(make_staff(None))
    assert nobody.post(url, {"format": 0, "resource": 0}).status_code == 403


def test_product_export_admin_respects_the_changelist_filter(admin_client_super, categories):
    make_product("SHOE-1", category=categories[0])
    make_product("HAT-1", category=categories[1])
    url = reverse("admin:catalog_product_export") + f"?category__id__exact={categories[1].pk}"
    response = admin_client_super.post(url, {"format": 0, "resource": 0})
    body = response.content.decode()
    assert "HAT-1" in body and "SHOE-1" not in body
