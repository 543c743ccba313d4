"""The import preview: what each row changes (now → in the file), in words, bounded.

``ProductResource`` (bulk) and ``ProductRowResource`` (row by row) must preview alike.
"""

import re
from decimal import Decimal

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Category, Product
from catalog.resources import CategoryResource, ProductResource, ProductRowResource
from catalog.tests.factories import make_category, make_product
from foundation.resources import PreviewCell

pytestmark = pytest.mark.django_db

HEADER = "sku,name,category,price,stock,is_active"


def upload(client, model: str, text: str):
    url = reverse(f"admin:{model}_import")
    file = SimpleUploadedFile("file.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post(url, {"import_file": file, "format": 0, "resource": 0})


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def cells(row) -> dict[str, PreviewCell]:
    return dict(zip(row_headers, row.diff, strict=True))


row_headers = [f.column_name for f in ProductResource().get_import_fields()]


@pytest.fixture
def mug(categories):
    shoes, _ = categories
    return make_product("MUG-1", name="Mug", category=shoes, price="11.50", stock=60)


def test_updated_product_row_shows_now_and_file_values(admin_client_super, mug, categories):
    make_product("CAP-1", name="Cap", category=categories[1], price="5.00", stock=2)
    text = (
        f"{HEADER}\nMUG-1,Mug,hats,11.90,65,1\nNEW-1,New one,shoes,3.00,4,1\n"
        "CAP-1,Cap,hats,5.00,2,1\n"
    )
    preview = upload(admin_client_super, "catalog_product", text)
    assert preview.status_code == 200
    body = preview.content.decode()
    shown = text_of(body)
    assert "11.50 → 11.90" in shown
    assert "60 → 65" in shown  # the stock the database holds now, against the file's
    assert "shoes → hats" in shown  # categories by slug, never by id
    assert f"{categories[0].pk} → {categories[1].pk}" not in shown
    # Column headings in words, the file's column name beneath.
    for label in ("SKU", "Name", "Category", "Price", "Stock", "Active", "Low stock threshold"):
        assert f'<th scope="col">\n                            {label}\n' in body, label
    # Totals on top, before the rows.
    totals = re.search(r'id="import-totals">(.*?)</p>', body, re.S).group(1)
    assert "New 1 Updated 1 Unchanged 1 Deleted 0 Errors 0" in text_of(totals)
    assert body.index('id="import-totals"') < body.index('id="import-preview-rows"')
    # An unchanged value is plain; the new row has nothing to compare.
    rows = preview.context["result"].valid_rows()
    update = cells(next(r for r in rows if r.import_type == "update"))
    assert not update["name"].changed and str(update["name"]) == "Mug"
    new = cells(next(r for r in rows if r.import_type == "new"))
    assert str(new["stock"]) == "4" and not new["stock"].changed
    assert Product.objects.get(sku="MUG-1").price == 11.50  # the preview changed nothing


def test_a_stock_only_change_shows_the_current_stock(admin_client_super, mug):
    preview = upload(
        admin_client_super, "catalog_product", f"{HEADER}\nmug-1,Mug,shoes,11.50,0,1\n"
    )
    row = preview.context["result"].valid_rows()[0]
    assert row.import_type == "update"
    changed = {h: str(c) for h, c in cells(row).items() if c.changed}
    assert changed == {"stock": "60 → 0"}


def test_bulk_and_row_paths_preview_alike(superuser, categories):
    shoes, hats = categories
    make_product("OLD-1", name="Old one", category=shoes, price="18.00", stock=5)
    make_product("OLD-2", name="Old two", category=hats, price="8.00", stock=3, cost="2.00")
    make_product("OLD-3", name="Old three", category=hats, price="4.00", stock=2)
    headers = [*HEADER.split(","), "cost", "description"]
    rows = [
        ("OLD-1", "Old one", "hats", "18.5", "5", "1", "", ""),
        ("old-2", "Old two", "hats", "8.00", "0", "no", "2.00", "Now with a lid"),
        ("OLD-3", "Old three", "hats", "4.00", "2", "1", "", ""),
        ("NEW-1", "New", "shoes", "1.00", "0", "1", "0.50", ""),
    ]

    def preview(resource_class) -> list:
        with transaction.atomic():
            result = resource_class().import_data(
                tablib.Dataset(*rows, headers=headers), dry_run=True, user=superuser
            )
        return sorted(
            (r.import_type, [(c.old, c.new) for c in r.diff]) for r in result.valid_rows()
        )

    bulk, row_by_row = preview(ProductResource), preview(ProductRowResource)
    assert bulk == row_by_row
    assert [kind for kind, _ in bulk] == ["new", "update", "update"]
    old_one = next(diff for kind, diff in bulk if kind == "update" and diff[0][1] == "OLD-1")
    assert ("shoes", "hats") in old_one and ("18.00", "18.50") in old_one


def test_product_preview_queries_do_not_grow_with_rows(admin_client_super, categories):
    shoes, _ = categories
    for n in range(60):
        make_product(f"Q-{n:03d}", name=f"Q {n}", category=shoes, price="1.00", stock=n)

    def queries(count: int) -> int:
        lines = "\n".join(f"Q-{n:03d},Q {n},hats,2.00,{n + 1},1" for n in range(count))
        with CaptureQueriesContext(connection) as captured:
            preview = upload(admin_client_super, "catalog_product", f"{HEADER}\n{lines}\n")
        assert preview.context["result"].totals["update"] == count
        assert "1.00 → 2.00" in text_of(preview.content.decode())
        return len(captured)

    assert queries(5) == queries(60)


def test_category_preview_shows_parent_by_slug_and_batches_lookups(admin_client_super):
    shoes = make_category("Shoes", "shoes")
    make_category("Boots", "boots")
    make_category("Sale", "sale")
    text = "slug,name,parent\nboots,Boots,shoes\nsale,Sale items,\n"
    preview = upload(admin_client_super, "catalog_category", text)
    shown = text_of(preview.content.decode())
    assert "→ shoes" in shown and "Sale → Sale items" in shown
    assert f"→ {shoes.pk}" not in shown
    assert "Parent" in shown and Category.objects.get(slug="sale").name == "Sale"

    def queries(count: int) -> int:
        rows = [(f"c-{n}", f"C {n}", "shoes") for n in range(count)]
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            CategoryResource().import_data(
                tablib.Dataset(*rows, headers=["slug", "name", "parent"]), dry_run=True
            )
        # Reads of whole category rows (the rows' own checks, SELECT 1 …, are validation).
        reads = [q["sql"] for q in captured if q["sql"].startswith("SELECT")]
        return len([sql for sql in reads if "catalog_category" in sql and "SELECT 1" not in sql])

    for n in range(40):
        make_category(f"C {n}", f"c-{n}")
    assert queries(4) == queries(40) == 2  # existing rows, and the parents, each read once


# The confirm step imports what the preview showed, or nothing ------------------------------


def confirm(client, model: str, preview):
    data = dict(preview.context["confirm_form"].initial)
    return client.post(reverse(f"admin:{model}_process_import"), data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize(
    "meanwhile",
    [
        {"stock": 58},  # a sale: the preview said 60 → 65, the confirm would move +7
        {"price": "13.00"},  # a repricing the file would silently overwrite
    ],
)
def test_confirm_after_the_product_changed_since_the_preview_imports_nothing(
    admin_client_super, mug, meanwhile
):
    preview = upload(
        admin_client_super, "catalog_product", f"{HEADER}\nMUG-1,Mug,hats,11.90,65,1\n"
    )
    assert "60 → 65" in text_of(preview.content.decode())
    Product.objects.filter(pk=mug.pk).update(**meanwhile)
    before = Product.objects.values("stock", "price", "category__slug").get(pk=mug.pk)
    moves = mug.movements.count()
    done = confirm(admin_client_super, "catalog_product", preview)
    assert any("changed since the preview" in m for m in messages_of(done)), messages_of(done)
    assert Product.objects.values("stock", "price", "category__slug").get(pk=mug.pk) == before
    assert mug.movements.count() == moves


def test_confirm_after_a_new_sku_was_created_since_the_preview_imports_nothing(
    admin_client_super, categories
):
    preview = upload(admin_client_super, "catalog_product", f"{HEADER}\nNEW-1,New,shoes,3.00,4,1\n")
    assert preview.context["result"].totals["new"] == 1
    make_product("NEW-1", name="Made by hand", category=categories[1], price="9.00", stock=1)
    done = confirm(admin_client_super, "catalog_product", preview)
    assert any("changed since the preview" in m for m in messages_of(done)), messages_of(done)
    assert Product.objects.get(sku="NEW-1").name == "Made by hand"


def test_confirm_of_an_unchanged_database_imports_what_the_preview_showed(admin_client_super, mug):
    make_product("OTHER-1", stock=3)  # a product the file does not name may change freely
    preview = upload(
        admin_client_super, "catalog_product", f"{HEADER}\nMUG-1,Mug,hats,11.90,65,1\n"
    )
    Product.objects.filter(sku="OTHER-1").update(stock=1)
    done = confirm(admin_client_super, "catalog_product", preview)
    assert any("Import finished" in m for m in messages_of(done)), messages_of(done)
    assert Product.objects.values_list("stock", "price").get(pk=mug.pk) == (65, Decimal("11.90"))


def test_category_confirm_after_the_category_changed_since_the_preview_imports_nothing(
    admin_client_super,
):
    make_category("Shoes", "shoes")
    preview = upload(admin_client_super, "catalog_category", "slug,name,parent\nshoes,Footwear,\n")
    assert "Shoes → Footwear" in text_of(preview.content.decode())
    Category.objects.filter(slug="shoes").update(name="Shoes and boots")
    done = confirm(admin_client_super, "catalog_category", preview)
    assert any("changed since the preview" in m for m in messages_of(done)), messages_of(done)
    assert Category.objects.get(slug="shoes").name == "Shoes and boots"
