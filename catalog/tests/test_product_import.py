"""Product CSV/XLSX import: the command line, the admin, both write paths, edge cases, races.

``ProductResource`` imports in bulk (catalog.importing); ``ProductRowResource`` is the
row-by-row reference it must agree with. Imports are all or nothing.
"""

import threading
import time
from decimal import Decimal
from io import StringIO

import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, connections, transaction
from django.urls import reverse

from catalog import importing
from catalog.models import Category, Product, StockMovement
from catalog.resources import ProductResource, ProductRowResource
from catalog.services import stock_adjust, stock_reconcile
from catalog.tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db

HEADER = "sku,name,category,price,stock,is_active"
HEADERS = HEADER.split(",")


def snapshot() -> tuple:
    """Everything an import could touch, to compare before and after."""
    return (
        list(Product.objects.order_by("pk").values()),
        list(StockMovement.objects.order_by("pk").values()),
        list(Product.history.order_by("pk").values_list("history_id", flat=True)),
        list(Category.objects.order_by("pk").values()),
    )


def run_import(tmp_path, text: str, name: str = "products.csv") -> tuple[int, str, str]:
    """Run ``manage.py import`` on ``text``; return (exit code, stdout, stderr)."""
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


def upload(client, text: str, name: str = "products.csv"):
    """Post ``text`` to the admin's import page (the preview step)."""
    url = reverse("admin:catalog_product_import")
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post(url, {"import_file": file, "format": 0, "resource": 0})


def confirm(client, preview, **kwargs):
    data = dict(preview.context["confirm_form"].initial)
    return client.post(reverse("admin:catalog_product_process_import"), data, **kwargs)


GOOD = f"""{HEADER},description,cost
SH-1,Runner,shoes,59.90,10,1,Light,20.00
SH-2,Boot,shoes,89.00,0,yes,,
HA-1,Cap,hats,15.5,3,false,,
"""


# From the command line -------------------------------------------------------------------------


def test_product_import_creates_products_and_ledger_rows(tmp_path, categories):
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


def test_product_import_same_file_again_changes_nothing(tmp_path, categories):
    run_import(tmp_path, GOOD)
    before = snapshot()
    code, out, _ = run_import(tmp_path, GOOD)
    assert code == 0
    assert "0 new, 0 updated, 3 unchanged" in out
    assert snapshot() == before


def test_product_import_updates_by_sku_and_moves_only_the_stock_difference(tmp_path, categories):
    run_import(tmp_path, GOOD)
    code, out, _ = run_import(tmp_path, f"{HEADER}\nSH-1,Runner,shoes,49.90,7,1\n")
    assert code == 0 and "0 new, 1 updated" in out
    runner = Product.objects.get(sku="SH-1")
    assert (runner.price, runner.stock, runner.description) == (Decimal("49.90"), 7, "Light")
    assert runner.movements.latest("id").quantity == -3
    assert stock_reconcile() == []


def test_product_import_only_a_stock_change_is_not_skipped(tmp_path, categories):
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
def test_product_import_bad_row_imports_nothing_and_names_row_column_reason(
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
def test_product_import_bad_header_imports_nothing_and_names_the_columns(
    tmp_path, categories, header, expected
):
    before = snapshot()
    row = ",".join(["X-1", "A", "shoes", "1.00", "1", "1", "red"][: len(header.split(","))])
    code, _out, err = run_import(tmp_path, f"{header}\n{row}\n")
    assert code == 1
    assert expected in err
    assert snapshot() == before


def test_product_import_refuses_a_file_that_is_not_utf8(tmp_path, categories):
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\nX-1,Caf\xe9,shoes,1.00,1,1\n".encode("latin-1"))
    with pytest.raises(Exception, match="not UTF-8"):
        call_command(
            "import",
            "catalog.resources.ProductResource",
            str(path),
            "--no-input",
            stderr=StringIO(),
        )
    assert not Product.objects.exists()


def test_product_import_of_an_exported_file_changes_nothing(tmp_path, categories):
    make_product("R-1", stock=4, category=categories[0], name="=1+1 formula", description="-dash")
    make_product("R-2", stock=0, category=categories[1], cost=Decimal("1.50"), is_active=False)
    # Values that themselves start with a quote, before a formula character or not.
    make_product("R-3", category=categories[0], name="'=1+1 quoted", description="'plain")
    make_product("R-4", category=categories[0], name="''twice", description="'")
    before = snapshot()
    code, out, err = run_import(tmp_path, ProductResource().export().csv, name="export.csv")
    assert code == 0, err
    assert "0 new, 0 updated, 4 unchanged" in out
    assert snapshot() == before


# The bulk path and the row-by-row path ---------------------------------------------------------

PATH_ROWS = [
    # new, with stock; new without stock; changed price; changed stock only; unchanged
    ("NEW-1", "New one", "shoes", "12.50", "7", "1", "Fresh", ""),
    ("NEW-2", "New two", "hats", "3.00", "0", "no", "", "1.10"),
    ("OLD-1", "Old one", "shoes", "20.00", "5", "1", "", ""),
    ("OLD-2", "Old two", "hats", "8.00", "9", "1", "", ""),
    ("OLD-3", "Old three", "hats", "4.00", "2", "1", "", ""),
]
PATH_HEADERS = [*HEADERS, "description", "cost"]


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


def test_product_import_bulk_and_row_paths_write_the_same_rows(superuser, categories):
    shoes, hats = categories
    make_product("OLD-1", name="Old one", category=shoes, price="18.00", stock=5)
    make_product("OLD-2", name="Old two", category=hats, price="8.00", stock=3)
    make_product("OLD-3", name="Old three", category=hats, price="4.00", stock=2)

    def run(resource_class) -> tuple[dict, dict]:
        dataset = tablib.Dataset(*PATH_ROWS, headers=PATH_HEADERS)
        result = resource_class().import_data(dataset, dry_run=False, user=superuser)
        assert not result.has_errors() and not result.has_validation_errors()
        return outcome(), dict(result.totals)

    with transaction.atomic():
        row_path, row_totals = run(ProductRowResource)
        transaction.set_rollback(True)
    bulk_path, bulk_totals = run(ProductResource)

    assert bulk_path == row_path
    assert bulk_totals == row_totals
    assert (bulk_totals["new"], bulk_totals["update"], bulk_totals["skip"]) == (2, 2, 1)
    assert stock_reconcile() == []


def test_product_import_bulk_path_dry_run_keeps_nothing(superuser, categories):
    before = outcome()
    dataset = tablib.Dataset(*PATH_ROWS, headers=PATH_HEADERS)
    result = ProductResource().import_data(dataset, dry_run=True, user=superuser)
    assert result.totals["new"] == 5
    assert outcome() == before


EDGE_HEADERS = [*HEADERS, "cost", "low_stock_threshold", "description"]
EDGE_ROWS = [
    ("P1", "One", "shoes", "19.990", "1", "1", "", "5", ""),
    ("P2", "Two", "shoes", "99999999.990", "1", "1", "", "5", ""),
    ("P3", "Three", "shoes", "1e2", "1", "1", "", "5", ""),
    ("P4", "Four", "shoes", "1", "1", "1", "", "3000000000", ""),
    ("P5", "Fi\x00ve", "shoes", "1", "1", "1", "", "5", ""),
    ("P6", "Six", "shoes", "1", "1", "1", "", "5", "x" * 5),
    ("PÉ", "Accent", "shoes", "1", "1", "1", "", "5", ""),
    ("STRAßE", "Sharp s", "shoes", "1", "1", "1", "", "5", ""),
    ("P 8", "Space", "shoes", "1", "1", "1", "", "5", ""),
    ("OLD", "Old", "shoes", "10.00", "0", "1", "", "5", ""),
]


@pytest.mark.parametrize("row", EDGE_ROWS, ids=[row[0] for row in EDGE_ROWS])
def test_product_import_bulk_and_row_paths_accept_and_refuse_the_same_values(row, superuser):
    shoes = make_category("Shoes", "shoes")
    make_product("OLD", name="Old", category=shoes, price="10.00", stock=3)
    outcomes = {}
    for resource_class in (ProductRowResource, ProductResource):
        with transaction.atomic():
            result = resource_class().import_data(
                tablib.Dataset(row, headers=EDGE_HEADERS), dry_run=False, user=superuser
            )
            ok = not result.has_errors() and not result.has_validation_errors()
            rows = Product.objects.values_list("sku", "price", "stock", "name")
            outcomes[resource_class.__name__] = (ok, sorted(rows) if ok else None)
            transaction.set_rollback(True)
    assert outcomes["ProductRowResource"] == outcomes["ProductResource"]


def test_product_import_repeated_cells_are_checked_by_value_and_type(superuser, categories):
    # Repeated cells are cleaned once and shared; a cell equal to a cached one but of another
    # type (an XLSX True beside the number 1, and True == 1 in Python) is checked on its own.
    rows = [(f"R{i}", "Same name", "shoes", 1 if i % 2 else "1", "2", "1") for i in range(5)]
    rows.append(("R5", "Same name", "shoes", True, "2", "1"))
    rows.append(("R6", "Same name", "shoes", "1", "2", "maybe"))
    before = outcome()
    result = ProductResource().import_data(
        tablib.Dataset(*rows, headers=HEADERS), dry_run=False, user=superuser
    )
    errors = {row.number: row.error.message_dict for row in result.invalid_rows}
    assert set(errors) == {6, 7}
    assert "price" in errors[6] and "is_active" in errors[7]
    assert outcome() == before
    del rows[5:]
    result = ProductResource().import_data(
        tablib.Dataset(*rows, headers=HEADERS), dry_run=False, user=superuser
    )
    assert result.totals["new"] == 5
    prices = set(Product.objects.filter(sku__startswith="R").values_list("price", "stock"))
    assert prices == {(Decimal("1.00"), 2)}


# SKUs ignore case, on every database ----------------------------------------------------------


@pytest.mark.parametrize("resource_class", [ProductResource, ProductRowResource])
def test_product_import_same_sku_in_two_cases_in_one_file_is_a_row_error(
    resource_class, superuser, categories
):
    before = snapshot()
    dataset = tablib.Dataset(
        ("CASE-1", "Upper", "shoes", "1.00", "1", "1"),
        ("case-1", "Lower", "shoes", "1.00", "1", "1"),
        headers=HEADERS,
    )
    result = resource_class().import_data(dataset, dry_run=False, user=superuser)
    assert not result.has_errors()
    [invalid] = result.invalid_rows
    assert invalid.number == 2
    assert invalid.error.message_dict == {
        "sku": [
            "'case-1' appears twice in the file (first on row 1 as 'CASE-1'; "
            "SKUs ignore upper and lower case)."
        ]
    }
    assert snapshot() == before


@pytest.mark.parametrize("resource_class", [ProductResource, ProductRowResource])
def test_product_import_sku_in_another_case_updates_the_existing_product(
    resource_class, superuser, categories
):
    existing = make_product("case-2", name="Old name", category=categories[0], stock=1)
    dataset = tablib.Dataset(("CASE-2", "New name", "shoes", "2.00", "6", "1"), headers=HEADERS)
    result = resource_class().import_data(dataset, dry_run=False, user=superuser)
    assert not result.has_errors() and not result.has_validation_errors()
    assert (result.totals["new"], result.totals["update"]) == (0, 1)
    product = Product.objects.get()
    assert product.pk == existing.pk
    assert (product.sku, product.name, product.stock) == ("case-2", "New name", 6)  # spelling kept
    assert stock_reconcile() == []


def add_product(client, sku: str, category: Category):
    """Post the admin's add form for a product named by ``sku``."""
    return client.post(
        reverse("admin:catalog_product_add"),
        {
            "sku": sku,
            "name": "Twin",
            "category": category.pk,
            "price": "1.00",
            "low_stock_threshold": 5,
            "is_active": "on",
            "initial_stock": 0,
            "images-TOTAL_FORMS": 0,
            "images-INITIAL_FORMS": 0,
            "movements-TOTAL_FORMS": 0,
            "movements-INITIAL_FORMS": 0,
        },
    )


def test_product_add_form_refuses_a_sku_that_differs_only_in_case(admin_client_super, categories):
    make_product("CASE-3", category=categories[0])
    response = add_product(admin_client_super, "case-3", categories[0])
    assert response.status_code == 200
    assert "already exists" in str(response.context["adminform"].form.errors)
    assert Product.objects.count() == 1


@pytest.mark.parametrize("sku", ["STRAßE-1", "CAFÉ-1", "TWO WORDS"])
def test_product_add_form_refuses_a_sku_outside_printable_ascii(
    admin_client_super, categories, sku
):
    # Beyond ASCII, Python, PostgreSQL and MariaDB disagree on what "ignoring case" means.
    response = add_product(admin_client_super, sku, categories[0])
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "A SKU is letters A-Z, digits and punctuation" in str(errors["sku"])
    assert not Product.objects.exists()


def test_product_sku_in_another_case_is_refused_by_the_database_too(categories):
    make_product("CASE-4", category=categories[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.create(sku="case-4", name="Twin", category=categories[0], price=1)


# Edge cases ----------------------------------------------------------------------------------


def test_product_import_new_product_never_reuses_a_deleted_products_id(superuser, categories):
    shoes = categories[0]
    make_product("KEEP", category=shoes)
    gone = make_product("GONE", name="Deleted product", category=shoes)
    gone_pk = gone.pk
    gone.delete()  # history now holds '+' and '-' rows for this id
    data = tablib.Dataset(("NEW", "New product", "shoes", "1.00", "0", "1"), headers=HEADERS)
    result = ProductResource().import_data(data, dry_run=False, user=superuser)
    assert not result.has_errors() and not result.has_validation_errors()
    new = Product.objects.get(sku="NEW")
    skus_in_history = set(Product.history.filter(id=new.pk).values_list("sku", flat=True))
    assert new.pk != gone_pk and skus_in_history == {"NEW"}, (new.pk, gone_pk, skus_in_history)


def test_product_import_bulk_path_writes_only_the_columns_that_changed(monkeypatch, categories):
    """Even from a stale read, columns the file does not change are never written."""
    product = make_product("P-1", name="Old name", category=categories[0], description="Stale")
    real_load = importing._load_existing

    def stale_then_edited(skus, **kwargs):
        existing = real_load(skus, **kwargs)
        if not kwargs.get("lock"):  # someone saves an edit right after the unlocked read
            Product.objects.filter(pk=product.pk).update(description="Edited meanwhile")
        return existing

    monkeypatch.setattr(importing, "_load_existing", stale_then_edited)
    dataset = tablib.Dataset(("P-1", "New name", "shoes", "10.00", "0", "1"), headers=HEADERS)
    ProductResource().import_data(dataset, dry_run=False)
    product.refresh_from_db()
    assert (product.name, product.description) == ("New name", "Edited meanwhile")


def test_product_import_database_error_is_a_plain_file_error_not_a_500(monkeypatch, categories):
    def refuse(*args, **kwargs):
        raise IntegrityError(
            'duplicate key value violates unique constraint "catalog_product_sku_key"\n'
            "CONTEXT:  COPY catalog_product, line 1"
        )

    monkeypatch.setattr(importing, "bulk_insert", refuse)
    dataset = tablib.Dataset(("N-1", "New", "shoes", "1.00", "1", "1"), headers=HEADERS)
    result = ProductResource().import_data(dataset, dry_run=False)
    assert result.has_errors()
    message = str(result.base_errors[0].error)
    assert message.startswith("Someone else created or changed some of these products")
    assert "Nothing was saved" in message
    assert "CONTEXT" not in message and "constraint" not in message  # no database internals
    assert not Product.objects.exists()


# Through the admin -------------------------------------------------------------------------


def test_product_import_admin_previews_then_confirms(admin_client_super, superuser, categories):
    preview = upload(admin_client_super, GOOD)
    assert preview.status_code == 200
    assert not Product.objects.exists()  # the dry run keeps nothing
    assert preview.context["confirm_form"] is not None
    response = confirm(admin_client_super, preview, follow=True)
    assert response.status_code == 200
    assert Product.objects.count() == 3
    runner = Product.objects.get(sku="SH-1")
    assert runner.history.get().history_user == superuser
    assert runner.movements.get().created_by == superuser
    assert stock_reconcile() == []


def test_product_import_admin_preview_shows_errors_and_offers_no_confirm(
    admin_client_super, categories
):
    preview = upload(admin_client_super, f"{HEADER}\nX-1,Thing,nope,1.00,1,1\n")
    assert preview.status_code == 200
    assert preview.context.get("confirm_form") is None
    assert "Unknown category" in preview.content.decode()
    assert not Product.objects.exists()


def test_product_import_admin_preview_shows_a_summary_and_a_sample_not_every_row(
    admin_client_super, categories
):
    rows = "\n".join(f"BULK-{n:04d},Bulk {n},shoes,1.00,1,1" for n in range(120))
    preview = upload(admin_client_super, f"{HEADER}\n{rows}\n", name="bulk.csv")
    body = preview.content.decode()
    assert "120 rows: 120 new, 0 updated, 0 unchanged." in body
    assert "Showing a sample of 50 new and updated rows" in body
    assert body.count("BULK-") == 50  # the sample, not all 120 rows
    assert not Product.objects.filter(sku__startswith="BULK-").exists()


def test_product_import_admin_nul_byte_in_a_cell_is_reported_not_a_500(
    admin_client_super, categories
):
    admin_client_super.raise_request_exception = False
    preview = upload(admin_client_super, f"{HEADER}\nN-1,Bad\x00name,shoes,1.00,0,1\n")
    assert preview.status_code == 200
    assert preview.context.get("confirm_form") is None
    assert "NUL character" in preview.content.decode()
    assert not Product.objects.exists()


def test_product_import_admin_confirm_after_a_category_was_deleted_imports_nothing(
    admin_client_super,
):
    doomed = make_category("Doomed", "doomed")
    preview = upload(admin_client_super, f"{HEADER}\nD-1,Thing,doomed,1.00,1,1\n")
    doomed.delete()
    response = confirm(admin_client_super, preview, follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert any("Row 1, column category: Unknown category 'doomed'." in t for t in texts)
    assert any("Nothing was imported." in t for t in texts)
    assert not any("Import finished" in t for t in texts)
    assert not Product.objects.exists()


def test_product_import_admin_preview_of_many_bad_rows_is_bounded(
    admin_client_super, categories, settings
):
    settings.IMPORT_ERRORS_KEPT = 50
    rows = "".join(f"BAD-{n},Bad {n},nowhere,1.00,1,1\n" for n in range(3000))
    rows += "ODD-1,Odd,shoes,abc,1,1\n"
    preview = upload(admin_client_super, f"{HEADER}\n{rows}")
    assert preview.status_code == 200 and "confirm_form" not in preview.context
    result = preview.context["result"]
    assert result.totals["invalid"] == 3001
    assert len(result.invalid_rows) == 50  # only the first are kept whole
    summary = preview.context["error_summary"]
    assert summary.rows == 3001
    assert summary.kinds[0] == ("category", "Unknown category 'nowhere'.", 3000, [1, 2, 3, 4, 5])
    assert ("price", "'abc' is not a number (use a dot: 19.99).", 1, [3001]) in summary.kinds
    page = preview.content.decode()
    assert "3001 of 3001 rows have problems." in page
    assert page.count("Unknown category") < 30
    assert len(page) < 150_000


def test_product_import_command_line_reports_many_bad_rows_in_bounded_lines(tmp_path, categories):
    rows = "".join(f"BAD-{n},Bad {n},nowhere,1.00,1,1\n" for n in range(500))
    code, _out, err = run_import(tmp_path, f"{HEADER}\n{rows}")
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) < 30
    assert lines[0] == "Row 1, column category: Unknown category 'nowhere'."
    assert "… and 480 more." in lines
    assert "500 rows, column category: Unknown category 'nowhere'." in lines


def test_product_import_of_a_header_of_a_million_columns_is_refused(admin_client_super):
    header = ",".join(f"c{n}" for n in range(1_000_000))
    preview = upload(admin_client_super, f"{header}\n1\n")
    assert preview.status_code == 200
    assert "1,000,000 columns; imports read at most 50" in str(preview.context["form"].errors)


def test_product_import_admin_file_over_the_size_limit_names_it_in_mib(
    admin_client_super, settings
):
    settings.IMPORT_MAX_FILE_SIZE = 20 * 1024 * 1024
    big = f"{HEADER}\n" + "x" * (21 * 1024 * 1024)
    preview = upload(admin_client_super, big)
    errors = str(preview.context["form"].errors["import_file"])
    assert "The file is 21.0 MiB; imports are limited to 20 MiB" in errors


def test_product_import_admin_refused_preview_keeps_nothing(
    admin_client_super, categories, previews_kept
):
    preview = upload(admin_client_super, f"{HEADER}\nBAD-1,Bad,nowhere,1.00,1,1\n")
    assert preview.status_code == 200 and "confirm_form" not in preview.context
    assert previews_kept() == 0


def test_product_import_admin_confirm_removes_the_preview_and_runs_once(
    admin_client_super, categories, previews_kept
):
    preview = upload(admin_client_super, f"{HEADER}\nONCE-1,Once,shoes,1.00,4,1\n")
    assert previews_kept() == 2  # its manifest, and one chunk
    first = confirm(admin_client_super, preview, follow=True)
    assert previews_kept() == 0
    assert Product.objects.get(sku="ONCE-1").stock == 4
    second = confirm(admin_client_super, preview, follow=True)  # a double click
    messages = [str(m) for m in second.context["messages"]]
    assert any("expired or was already imported" in m for m in messages)
    assert second.redirect_chain[-1][0] == reverse("admin:catalog_product_import")
    assert StockMovement.objects.filter(product__sku="ONCE-1").count() == 1
    assert first.status_code == 200


def test_product_import_admin_confirm_of_an_unknown_preview_says_it_expired(
    admin_client_super, categories
):
    response = admin_client_super.post(
        reverse("admin:catalog_product_process_import"),
        {"import_file_name": "nonexistent", "original_file_name": "x.csv", "format": 0},
        follow=True,
    )
    assert response.status_code == 200
    assert any("expired or was already imported" in str(m) for m in response.context["messages"])
    assert not Product.objects.exists()


@pytest.mark.parametrize("role", ["Fulfilment", "Customer support", "Read-only"])
def test_product_import_admin_refused_without_add_and_change(
    client_for, make_staff, role, categories
):
    client = client_for(make_staff(role))
    assert client.get(reverse("admin:catalog_product_import")).status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert not Product.objects.exists()


def test_product_import_admin_needs_the_adjust_stock_permission(client_for, make_staff):
    user = make_staff(username="editor")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_product", "add_product", "change_product"])
    )
    client = client_for(user)
    assert client.get(reverse("admin:catalog_product_import")).status_code == 403


def test_product_import_admin_allowed_for_catalog_managers(client_for, make_staff, categories):
    client = client_for(make_staff("Catalog managers"))
    preview = upload(client, GOOD)
    assert preview.context["confirm_form"] is not None
    confirm(client, preview)
    assert Product.objects.count() == 3


# Races with other writers (PostgreSQL: real row locks, one connection per thread) -----------


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_product_import_category_deleted_meanwhile_is_a_reported_error(superuser, monkeypatch):
    make_category("Shoes", "shoes")
    doomed = make_category("Gone soon", "doomed")
    original = importing._load_existing

    def load_then_someone_deletes_the_category(*args, **kwargs):
        def delete():
            Category.objects.filter(pk=doomed.pk).delete()  # no products yet: PROTECT allows it
            connections.close_all()

        thread = threading.Thread(target=delete)
        thread.start()
        thread.join()
        return original(*args, **kwargs)

    monkeypatch.setattr(importing, "_load_existing", load_then_someone_deletes_the_category)
    data = tablib.Dataset(("NEW", "New", "doomed", "1.00", "3", "1"), headers=HEADERS)
    result = ProductResource().import_data(data, dry_run=False, user=superuser)
    assert result.has_errors()
    assert not Product.objects.filter(sku="NEW").exists()


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_product_import_product_deleted_meanwhile_is_a_reported_error(superuser, monkeypatch):
    shoes = make_category("Shoes", "shoes")
    victim = make_product("OLD", name="Old", category=shoes)  # stock 0, no ledger rows
    original = importing._write

    def someone_deletes_it_first(*args, **kwargs):
        def delete():
            Product.objects.filter(pk=victim.pk).delete()
            connections.close_all()

        thread = threading.Thread(target=delete)
        thread.start()
        thread.join()
        return original(*args, **kwargs)

    monkeypatch.setattr(importing, "_write", someone_deletes_it_first)
    data = tablib.Dataset(("OLD", "Old renamed", "shoes", "10.00", "4", "1"), headers=HEADERS)
    result = ProductResource().import_data(data, dry_run=False, user=superuser)
    assert result.has_errors()
    assert not Product.objects.filter(sku="OLD").exists()


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_product_import_and_a_sale_at_once_never_deadlock(superuser, monkeypatch):
    shoes = make_category("Shoes", "shoes")
    low = make_product("A-LOW", name="Low", category=shoes, stock=10)  # smaller pk
    high = make_product("B-HIGH", name="High", category=shoes, stock=10)  # larger pk
    # The file renames HIGH (row lock in _write_changes) and sets LOW's stock (lock later).
    data = tablib.Dataset(
        ("A-LOW", "Low", "shoes", "10.00", "7", "1"),
        ("B-HIGH", "High renamed", "shoes", "10.00", "10", "1"),
        headers=HEADERS,
    )
    changes_locked, order_holds_low = threading.Event(), threading.Event()
    original = importing.stock_set_bulk

    def slow_stock_set_bulk(**kwargs):
        changes_locked.set()
        order_holds_low.wait(5)
        time.sleep(0.3)  # let the sale block on HIGH
        return original(**kwargs)

    monkeypatch.setattr(importing, "stock_set_bulk", slow_stock_set_bulk)
    errors = {}

    def sale():  # takes both products, locking in pk order as every stock writer does
        try:
            changes_locked.wait(5)
            with transaction.atomic():
                stock_adjust(product=low, quantity=-1, reason=StockMovement.Reason.ORDER)
                order_holds_low.set()
                stock_adjust(product=high, quantity=-1, reason=StockMovement.Reason.ORDER)
        except Exception as error:
            errors["sale"] = repr(error)
        finally:
            connections.close_all()

    def run_the_import():
        try:
            result = ProductResource().import_data(data, dry_run=False, user=superuser)
            if result.has_errors():
                errors["import"] = [e.error for e in result.base_errors]
        except Exception as error:
            errors["import"] = repr(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_the_import), threading.Thread(target=sale)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert Product.objects.get(sku="B-HIGH").name == "High renamed"
    assert stock_reconcile() == []
