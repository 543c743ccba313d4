"""A NUL byte in a cell is a row error on every database."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.tests.factories import make_category

pytestmark = pytest.mark.django_db


def test_nul_byte_in_a_cell_is_reported_not_a_500(admin_client_super):
    make_category("Shoes", "shoes")
    admin_client_super.raise_request_exception = False
    body = b"sku,name,category,price,stock,is_active\nN-1,Bad\x00name,shoes,1.00,0,1\n"
    upload = SimpleUploadedFile("nul.csv", body, content_type="text/csv")
    response = admin_client_super.post(
        reverse("admin:catalog_product_import"), {"import_file": upload, "format": 0}
    )
    assert response.status_code == 200, response.status_code
    assert response.context.get("confirm_form") is None
