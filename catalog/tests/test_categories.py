"""Categories: the tree rule, the CSV import, the list."""

from io import StringIO

import pytest
import tablib
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from catalog.models import Category
from catalog.resources import CategoryResource
from catalog.tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db


def test_category_clean_refuses_a_category_inside_itself():
    a = make_category("A", "a")
    b = make_category("B", "b", parent=a)
    a.parent = b
    with pytest.raises(ValidationError, match="inside itself"):
        a.full_clean()
    a.parent = a
    with pytest.raises(ValidationError, match="inside itself"):
        a.full_clean()


def test_category_import_refuses_a_category_inside_itself():
    make_category("A", "a")
    dataset = tablib.Dataset(("a", "A", "a"), headers=["slug", "name", "parent"])
    result = CategoryResource().import_data(dataset, dry_run=False)
    assert result.has_validation_errors()
    assert Category.objects.get(slug="a").parent is None


def test_category_import_finds_a_parent_created_earlier_in_the_file(tmp_path):
    make_category("Old", "old")
    path = tmp_path / "c.csv"
    path.write_text("slug,name,parent\nx,X,old\nroot,Root,\nchild,Child,root\n")
    call_command(
        "import", "catalog.resources.CategoryResource", str(path), "--no-input", stdout=StringIO()
    )
    assert Category.objects.get(slug="child").parent.slug == "root"
    assert Category.objects.get(slug="x").parent.slug == "old"


def test_category_changelist_counts_products(admin_client_super):
    shoes = make_category("Shoes", "shoes")
    make_category("Empty", "empty")
    make_product(category=shoes)
    make_product(category=shoes)
    response = admin_client_super.get(reverse("admin:catalog_category_changelist"))
    counts = {c.name: c.product_count for c in response.context["cl"].result_list}
    assert (counts["Shoes"], counts["Empty"]) == (2, 0)


def test_category_picker_lists_categories_by_name(admin_client_super):
    for name in ["T-shirts", "Hoodies", "Mugs", "Bags"]:
        make_category(name, name.lower())
    response = admin_client_super.get(
        "/admin/autocomplete/",
        {"app_label": "catalog", "model_name": "product", "field_name": "category"},
    )
    assert response.status_code == 200
    names = [row["text"] for row in response.json()["results"]]
    assert names == sorted(names) and len(names) == 4
