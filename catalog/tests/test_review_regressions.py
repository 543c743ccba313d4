"""Catalog import/export cases found in review."""

from io import StringIO

import pytest
import tablib
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError
from django.urls import reverse

from catalog import importing
from catalog.models import Category, Product
from catalog.resources import CategoryResource, ProductResource, StockMovementResource
from catalog.services import stock_adjust
from catalog.tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db

HEADER = "sku,name,category,price,stock,is_active"


def test_confirm_after_a_category_was_deleted_says_nothing_was_imported(admin_client_super):
    doomed = make_category("Doomed", "doomed")
    upload = SimpleUploadedFile("p.csv", f"{HEADER}\nD-1,Thing,doomed,1.00,1,1\n".encode())
    preview = admin_client_super.post(
        reverse("admin:catalog_product_import"), {"import_file": upload, "format": 0}
    )
    data = dict(preview.context["confirm_form"].initial)
    doomed.delete()
    response = admin_client_super.post(
        reverse("admin:catalog_product_process_import"), data, follow=True
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any("Row 1, column category: Unknown category 'doomed'." in t for t in texts)
    assert any("Nothing was imported." in t for t in texts)
    assert not any("Import finished" in t for t in texts)
    assert not Product.objects.exists()


def test_fast_import_writes_only_the_columns_that_changed(monkeypatch):
    """Even from a stale read, columns the file does not change are never written."""
    shoes = make_category("Shoes", "shoes")
    product = make_product("P-1", name="Old name", category=shoes, description="Stale")
    real_load = importing._load_existing

    def stale_then_edited(skus, **kwargs):
        existing = real_load(skus, **kwargs)
        if not kwargs.get("lock"):  # someone saves an edit right after the unlocked read
            Product.objects.filter(pk=product.pk).update(description="Edited meanwhile")
        return existing

    monkeypatch.setattr(importing, "_load_existing", stale_then_edited)
    dataset = tablib.Dataset(
        ("P-1", "New name", "shoes", "10.00", "0", "1"), headers=HEADER.split(",")
    )
    ProductResource().import_data(dataset, dry_run=False)
    product.refresh_from_db()
    assert (product.name, product.description) == ("New name", "Edited meanwhile")


def test_fast_import_database_error_is_a_file_error_not_a_500(monkeypatch):
    make_category("Shoes", "shoes")

    def refuse(*args, **kwargs):
        raise IntegrityError(
            'duplicate key value violates unique constraint "catalog_product_sku_key"'
        )

    monkeypatch.setattr(importing, "bulk_insert", refuse)
    dataset = tablib.Dataset(("N-1", "New", "shoes", "1.00", "1", "1"), headers=HEADER.split(","))
    result = ProductResource().import_data(dataset, dry_run=False)
    assert result.has_errors()
    assert "The database refused the import" in str(result.base_errors[0].error)
    assert not Product.objects.exists()


def test_product_import_needs_the_adjust_stock_permission(client_for, make_staff):
    from django.contrib.auth.models import Permission

    user = make_staff(username="editor")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_product", "add_product", "change_product"])
    )
    client = client_for(user)
    assert client.get(reverse("admin:catalog_product_import")).status_code == 403


def test_stock_ledger_export_escapes_formulas():
    product = make_product("F-1")
    stock_adjust(product=product, quantity=2, reason="adjustment", note='=HYPERLINK("x")')
    rows = StockMovementResource().export().dict
    assert rows[0]["note"] == '\'=HYPERLINK("x")'
    assert rows[0]["sku"] == "F-1"


def test_category_import_finds_a_parent_created_earlier_in_the_file(tmp_path):
    make_category("Old", "old")
    path = tmp_path / "c.csv"
    path.write_text("slug,name,parent\nx,X,old\nroot,Root,\nchild,Child,root\n")
    call_command(
        "import", "catalog.resources.CategoryResource", str(path), "--no-input", stdout=StringIO()
    )
    assert Category.objects.get(slug="child").parent.slug == "root"


def test_a_category_cannot_be_inside_itself():
    a = make_category("A", "a")
    b = make_category("B", "b", parent=a)
    a.parent = b
    with pytest.raises(ValidationError, match="inside itself"):
        a.full_clean()
    dataset = tablib.Dataset(("a", "A", "a"), headers=["slug", "name", "parent"])
    result = CategoryResource().import_data(dataset, dry_run=False)
    assert result.has_validation_errors()
    assert Category.objects.get(slug="a").parent is None
