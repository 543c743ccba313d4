"""Catalog exports (products, the stock ledger): columns, formula escaping, permissions."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.resources import ProductResource, StockMovementResource
from catalog.services import stock_adjust
from catalog.tests.factories import make_product
from foundation.tests.sheets import library_xlsx_values, xlsx_values

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
    data = b"".join(xlsx.streaming_content)
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
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


def tricky_products(categories):
    shoes, hats = categories
    make_product(
        "=RISKY", name="=SUM(A1) & <b>", category=shoes, price="20.00", cost=Decimal("3.10"),
        description="two\nlines", stock=3,
    )  # fmt: skip
    make_product("-1", name="'quoted", category=hats, price="0.50", description="@x", stock=0)
    make_product("PLAIN", name="Ünïcode ✓", category=hats, price="99999999.99", is_active=False)


def test_product_xlsx_stream_equals_the_library_export(categories):
    tricky_products(categories)
    streamed = xlsx_values(b"".join(ProductResource().export_xlsx()))
    assert streamed == library_xlsx_values(ProductResource())
    assert len(streamed) == 4 and "'=SUM(A1) & <b>" in streamed[1] + streamed[2] + streamed[3]


def test_category_and_ledger_xlsx_streams_equal_the_library_export(categories):
    from catalog.resources import CategoryResource

    tricky_products(categories)
    product = make_product("LEDGER", stock=5)
    stock_adjust(product=product, quantity=-2, reason="adjustment", note="=HYPERLINK(1)")
    for resource_class in (CategoryResource, StockMovementResource):
        streamed = xlsx_values(b"".join(resource_class().export_xlsx()))
        assert streamed == library_xlsx_values(resource_class()), resource_class
    ledger = xlsx_values(b"".join(StockMovementResource().export_xlsx()))
    assert ledger[1][3] == -2 and ledger[1][7] == "'=HYPERLINK(1)"


def test_product_xlsx_export_imports_back_unchanged(categories, superuser):
    from catalog.models import Product
    from foundation.formats import BoundedXLSX

    tricky_products(categories)
    before = list(Product.objects.order_by("sku").values())
    data = b"".join(ProductResource().export_xlsx())
    result = ProductResource().import_data(BoundedXLSX().create_dataset(data), user=superuser)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == 3 and result.totals["new"] == result.totals["update"] == 0
    assert list(Product.objects.order_by("sku").values()) == before


def test_product_admin_xlsx_export_streams(admin_client_super, categories):
    tricky_products(categories)
    url = reverse("admin:catalog_product_export") + f"?category__id__exact={categories[1].pk}"
    response = admin_client_super.post(url, {"format": 1, "resource": 0})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith('attachment; filename="Product-')
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = xlsx_values(b"".join(response.streaming_content))
    assert sorted(row[0] for row in rows[1:]) == ["'-1", "PLAIN"]  # the filtered list only


def test_product_xlsx_export_needs_the_view_permission(client_for, make_staff, categories):
    make_product("VIS-1", category=categories[0])
    url = reverse("admin:catalog_product_export")
    response = client_for(make_staff(None)).post(url, {"format": 1, "resource": 0})
    assert response.status_code == 403 and not response.streaming
    from django.contrib.admin.models import LogEntry

    from catalog.models import Product

    logged, history = LogEntry.objects.count(), Product.history.count()
    form = client_for(make_staff("Read-only")).get(url)  # the form; a GET exports nothing
    assert form.status_code == 200 and not form.streaming and b"xlsx" in form.content.lower()
    assert (LogEntry.objects.count(), Product.history.count()) == (logged, history)
