"""Product CSV/XLSX import and export, from the command line and through the admin."""

import csv
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from catalog.models import Category, Product, StockMovement
from catalog.resources import ProductResource
from catalog.services import stock_reconcile
from catalog.tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db

HEADER = "sku,name,category,price,stock,is_active"


def snapshot() -> tuple:
    """Everything an import could touch, to compare before and after."""
    return (
        list(Product.objects.order_by("pk").values()),
        list(StockMovement.objects.order_by("pk").values()),
        list(Product.history.order_by("pk").values_list("history_id", flat=True)),
        list(Category.objects.order_by("pk").values()),
    )


def run_import(tmp_path, text: str, name: str = "products.csv") -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out, err = StringIO(), StringIO()
    try:
        call_command(
            "import",
            "catalog.resources.ProductResource",
            str(path),
            "--no-input",
            stdout=out,
            stderr=err,
        )
        code = 0
    except SystemExit as exit_info:
        code = exit_info.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def categories():
    return make_category("Shoes", "shoes"), make_category("Hats", "hats")


GOOD = f"""{HEADER},description,cost
SH-1,Runner,shoes,59.90,10,1,Light,20.00
SH-2,Boot,shoes,89.00,0,yes,,
HA-1,Cap,hats,15.5,3,false,,
"""


def test_import_creates_products_and_ledger_rows(tmp_path, categories):
    code, out, err = run_import(tmp_path, GOOD)
    assert code == 0, err
    assert "3 new, 0 updated, 0 unchanged" in out
    runner = Product.objects.get(sku="SH-1")
    assert (runner.name, runner.category.slug, runner.price, runner.cost) == (
        "Runner",
        "shoes",
        Decimal("59.90"),
        Decimal("20.00"),
    )
    assert runner.stock == 10 and Product.objects.get(sku="HA-1").is_active is False
    moves = StockMovement.objects.filter(reason="import")
    assert sorted((m.product.sku, m.quantity) for m in moves) == [("HA-1", 3), ("SH-1", 10)]
    assert len({m.reference for m in moves}) == 1 and moves[0].reference.startswith("import:")
    assert stock_reconcile() == []


def test_reimporting_the_same_file_changes_nothing(tmp_path, categories):
    run_import(tmp_path, GOOD)
    before = snapshot()
    code, out, _ = run_import(tmp_path, GOOD)
    assert code == 0
    assert "0 new, 0 updated, 3 unchanged" in out
    assert snapshot() == before


def test_import_updates_by_sku_and_moves_only_the_stock_difference(tmp_path, categories):
    run_import(tmp_path, GOOD)
    code, out, _ = run_import(tmp_path, f"{HEADER}\nSH-1,Runner,shoes,49.90,7,1\n")
    assert code == 0 and "0 new, 1 updated" in out
    runner = Product.objects.get(sku="SH-1")
    assert (runner.price, runner.stock, runner.description) == (Decimal("49.90"), 7, "Light")
    assert runner.movements.latest("id").quantity == -3
    assert stock_reconcile() == []


def test_import_of_only_a_stock_change_is_not_skipped(tmp_path, categories):
    run_import(tmp_path, GOOD)
    _code, out, _ = run_import(tmp_path, f"{HEADER}\nSH-2,Boot,shoes,89.00,4,1\n")
    assert "1 updated" in out
    assert Product.objects.get(sku="SH-2").stock == 4


GOOD_ROW = "GOOD-1,Good,shoes,1.00,5,1"


@pytest.mark.parametrize(
    ("bad_rows", "expected"),
    [
        ("X-1,Thing,nope,1.00,1,1", "Row 2, column category: Unknown category 'nope'."),
        ("X-1,Thing,shoes,abc,1,1", "Row 2, column price: 'abc' is not a number"),
        ("X-1,Thing,shoes,-1,1,1", "Row 2, column price: Must be 0 or more, got -1."),
        ("X-1,Thing,shoes,1.00,-4,1", "Row 2, column stock: Must be 0 or more, got -4."),
        ("X-1,Thing,shoes,1.00,2.5,1", "Row 2, column stock: '2.5' is not a whole number."),
        ("X-1,Thing,shoes,1.00,1,maybe", "Row 2, column is_active: 'maybe' is not one of"),
        ("X-1,,shoes,1.00,1,1", "Row 2, column name: This value is required."),
        (
            "X-1,A,shoes,1.00,1,1\nX-1,C,shoes,1.00,1,1",
            "Row 3, column sku: 'X-1' appears twice in the file (first on row 2).",
        ),
    ],
    ids=[
        "unknown-category",
        "bad-decimal",
        "negative-price",
        "negative-stock",
        "fractional-stock",
        "bad-boolean",
        "blank-name",
        "duplicate-sku",
    ],
)
def test_bad_row_imports_nothing_and_names_row_column_reason(
    tmp_path, categories, bad_rows, expected
):
    make_product("KEEP-1", stock=2, category=categories[0])
    before = snapshot()
    # The good first row must not be kept either: all or nothing.
    code, _out, err = run_import(tmp_path, f"{HEADER}\n{GOOD_ROW}\n{bad_rows}\n")
    assert code == 1
    assert expected in err
    assert "Nothing was imported." in err
    assert snapshot() == before


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sku,name,category,stock,is_active", "File: Missing required column(s): price."),
        (f"{HEADER},colour", "File: Unknown column(s): colour. Allowed columns: category, cost"),
        (f"{HEADER},price", "File: Column(s) given twice: price."),
    ],
    ids=["missing-column", "unknown-column", "repeated-column"],
)
def test_bad_header_imports_nothing_and_names_the_columns(tmp_path, categories, header, expected):
    before = snapshot()
    row = ",".join(["X-1", "A", "shoes", "1.00", "1", "1", "red"][: len(header.split(","))])
    code, _out, err = run_import(tmp_path, f"{header}\n{row}\n")
    assert code == 1
    assert expected in err
    assert snapshot() == before


def test_import_refuses_a_file_that_is_not_utf8(tmp_path, categories):
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\nX-1,Caf\xe9,shoes,1.00,1,1\n".encode("latin-1"))
    err = StringIO()
    with pytest.raises(Exception, match="not UTF-8"):
        call_command(
            "import", "catalog.resources.ProductResource", str(path), "--no-input", stderr=err
        )
    assert not Product.objects.exists()


# Export ----------------------------------------------------------------------------------------


def export_rows(queryset=None) -> list[dict]:
    dataset = ProductResource().export(queryset)
    return list(csv.DictReader(io.StringIO(dataset.csv)))


def test_export_uses_category_slug_and_all_columns(categories):
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
    }


def test_export_escapes_formula_cells(categories):
    for n, prefix in enumerate(["=", "+", "-", "@", "\t", "\r"]):
        make_product(f"F-{n}", name=f"{prefix}SUM(A1)", category=categories[0], description="@cmd")
    names = [row["name"] for row in export_rows()]
    assert all(name.startswith("'") for name in names), names
    assert all(row["description"] == "'@cmd" for row in export_rows())


def test_export_then_reimport_changes_nothing(tmp_path, categories):
    make_product("R-1", stock=4, category=categories[0], name="=1+1 formula", description="-dash")
    make_product("R-2", stock=0, category=categories[1], cost=Decimal("1.50"), is_active=False)
    path = tmp_path / "export.csv"
    path.write_text(ProductResource().export().csv, encoding="utf-8")
    before = snapshot()
    code, out, err = run_import(tmp_path, path.read_text(), name="export2.csv")
    assert code == 0, err
    assert "0 new, 0 updated, 2 unchanged" in out
    assert snapshot() == before


# Through the admin ---------------------------------------------------------------------------


def upload(client, text: str, name: str = "products.csv"):
    url = reverse("admin:catalog_product_import")
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post(url, {"import_file": file, "format": 0, "resource": 0})


def test_admin_import_previews_then_confirms(admin_client_super, superuser, categories):
    preview = upload(admin_client_super, GOOD)
    assert preview.status_code == 200
    assert not Product.objects.exists()  # the dry run keeps nothing
    confirm_form = preview.context["confirm_form"]
    assert confirm_form is not None
    data = {name: value for name, value in confirm_form.initial.items()}
    response = admin_client_super.post(
        reverse("admin:catalog_product_process_import"), data, follow=True
    )
    assert response.status_code == 200
    assert Product.objects.count() == 3
    runner = Product.objects.get(sku="SH-1")
    assert runner.history.get().history_user == superuser
    assert runner.movements.get().created_by == superuser
    assert stock_reconcile() == []


def test_admin_import_preview_shows_errors_and_offers_no_confirm(admin_client_super, categories):
    preview = upload(admin_client_super, f"{HEADER}\nX-1,Thing,nope,1.00,1,1\n")
    assert preview.status_code == 200
    assert preview.context.get("confirm_form") is None
    assert "Unknown category" in preview.content.decode()
    assert not Product.objects.exists()


@pytest.mark.parametrize("role", ["Fulfilment", "Customer support", "Read-only"])
def test_admin_import_refused_without_add_and_change(client_for, make_staff, role, categories):
    client = client_for(make_staff(role))
    assert client.get(reverse("admin:catalog_product_import")).status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert not Product.objects.exists()


def test_admin_import_allowed_for_catalog_managers(client_for, make_staff, categories):
    client = client_for(make_staff("Catalog managers"))
    assert upload(client, GOOD).context["confirm_form"] is not None


def test_admin_export_needs_view_permission(client_for, make_staff, categories):
    make_product("VIS-1", category=categories[0])
    url = reverse("admin:catalog_product_export")
    allowed = client_for(make_staff("Read-only")).post(url, {"format": 0, "resource": 0})
    assert allowed.status_code == 200 and b"VIS-1" in allowed.content
    nobody = client_for(make_staff(None))
    assert nobody.post(url, {"format": 0, "resource": 0}).status_code == 403


def test_admin_export_respects_the_changelist_filter(admin_client_super, categories):
    make_product("SHOE-1", category=categories[0])
    make_product("HAT-1", category=categories[1])
    url = reverse("admin:catalog_product_export") + f"?category__id__exact={categories[1].pk}"
    response = admin_client_super.post(url, {"format": 0, "resource": 0})
    body = response.content.decode()
    assert "HAT-1" in body and "SHOE-1" not in body
