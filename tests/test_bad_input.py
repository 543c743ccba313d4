"""The bad-input corpus (tests/data/bad/): every file through the admin and the command line.

Each must give a clear message naming what is wrong (row and column where there is one)
and leave the database exactly as it was.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from catalog.models import Category, Product, StockMovement
from catalog.tests.factories import make_category, make_product
from foundation.resources import format_errors

pytestmark = pytest.mark.django_db

BAD = Path(__file__).parent / "data" / "bad"
TOO_LARGE_LIMIT = 4096  # bytes; too_large.csv is 8 kB

# file -> what the message must say (the same words in the admin and on the command line)
EXPECTED = {
    "empty.csv": "empty",
    "header_only.csv": "header",
    "semicolons.csv": "The columns are separated by ';'; save the file as CSV with commas.",
    "utf16.csv": "UTF-16",
    "latin1.csv": "not UTF-8 text",
    "bom_unknown_category.csv": "Row 1, column category: Unknown category 'nowhere'.",
    "binary.csv": "not UTF-8 text",
    "missing_price_column.csv": "Missing required column(s): price.",
    "unknown_column.csv": "Unknown column(s): colour.",
    "negative_stock.csv": "Row 2, column stock: Must be 0 or more, got -3.",
    "price_not_a_number.csv": "Row 1, column price: 'abc' is not a number",
    "unknown_category.csv": "Row 1, column category: Unknown category 'nowhere'.",
    "duplicate_sku.csv": "Row 2, column sku: 'X-1' appears twice in the file (first on row 1).",
    "huge_cell.csv": "Row 1, column name: At most 200 characters allowed (got 100000).",
    "formula_cells.csv": "Row 1, column name: '=HYPERLINK(",
    "too_large.csv": "IMPORT_MAX_FILE_SIZE",
}
# The admin says these in its own words (django-import-export's form checks).
ADMIN_WORDS = {
    "empty.csv": "The submitted file is empty.",
    "header_only.csv": "No valid data to import",
}


def test_bad_input_corpus_has_every_file():
    assert sorted(p.name for p in BAD.iterdir()) == sorted(EXPECTED)
    assert len(EXPECTED) >= 15


@pytest.fixture
def store():
    shoes = make_category("Shoes", "shoes")
    make_product("KEEP-1", category=shoes, stock=4, price="9.99")
    return shoes


def dump() -> list:
    """Every row an import could touch, in full."""
    return [
        list(Category.objects.order_by("pk").values()),
        list(Product.objects.order_by("pk").values()),
        list(StockMovement.objects.order_by("pk").values()),
        list(Product.history.order_by("history_id").values()),
    ]


@pytest.fixture
def limit(settings, request):
    name = request.node.callspec.params["name"]
    if name == "too_large.csv":
        settings.IMPORT_MAX_FILE_SIZE = TOO_LARGE_LIMIT


def admin_messages(response) -> str:
    parts = []
    form = response.context.get("form")
    if form is not None:
        parts += [str(e) for errors in form.errors.values() for e in errors]
    result = response.context.get("result")
    if result is not None:
        parts += format_errors(result)
    return " | ".join(parts)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_file_through_the_admin_imports_nothing(admin_client_super, store, limit, name):
    before = dump()
    upload = SimpleUploadedFile(name, (BAD / name).read_bytes(), content_type="text/csv")
    response = admin_client_super.post(
        reverse("admin:catalog_product_import"), {"import_file": upload, "format": 0}
    )
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None  # nothing to confirm
    assert ADMIN_WORDS.get(name, EXPECTED[name]) in admin_messages(response)
    assert dump() == before


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_file_through_manage_py_import_imports_nothing(store, limit, name):
    before = dump()
    err = StringIO()
    with pytest.raises((SystemExit, CommandError)) as failure:
        call_command(
            "import",
            "catalog.resources.ProductResource",
            str(BAD / name),
            "--no-input",
            stderr=err,
            stdout=StringIO(),
        )
    message = err.getvalue() + str(failure.value)
    assert EXPECTED[name] in message
    if isinstance(failure.value, SystemExit):
        assert failure.value.code == 1 and "Nothing was imported." in message
    assert dump() == before
