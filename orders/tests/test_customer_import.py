"""Customer CSV import: upsert by email, all or nothing, through the command and the admin."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from orders.models import Customer
from orders.tests.factories import make_customer

pytestmark = pytest.mark.django_db


def import_customers(tmp_path, text: str) -> tuple[int, str, str]:
    path = tmp_path / "customers.csv"
    path.write_text(text, encoding="utf-8")
    out, err = StringIO(), StringIO()
    try:
        call_command(
            "import",
            "orders.resources.CustomerResource",
            str(path),
            "--no-input",
            stdout=out,
            stderr=err,
        )
        return 0, out.getvalue(), err.getvalue()
    except SystemExit as exit_info:
        return exit_info.code, out.getvalue(), err.getvalue()


def test_customer_import_upserts_by_email(tmp_path):
    make_customer("alice@shop.test", first_name="Alice", city="Paris")
    code, out, _ = import_customers(
        tmp_path,
        "email,first_name,last_name,city,country\n"
        "ALICE@shop.test,Alice,Martin,Lyon,fr\n"
        "new@shop.test,Nina,New,Rome,IT\n",
    )
    assert code == 0 and "1 new, 1 updated" in out
    alice = Customer.objects.get(email="alice@shop.test")
    assert (alice.last_name, alice.city, alice.country) == ("Martin", "Lyon", "FR")
    assert Customer.objects.count() == 2
    code, out, _ = import_customers(
        tmp_path, "email,first_name,last_name,city,country\nalice@shop.test,Alice,Martin,Lyon,FR\n"
    )
    assert "0 new, 0 updated, 1 unchanged" in out


def test_customer_import_bad_rows_import_nothing_and_name_row_and_column(tmp_path):
    code, _, err = import_customers(
        tmp_path,
        "email,first_name,last_name,country\n"
        "good@shop.test,Good,Row,DE\n"
        "not-an-email,Bad,Row,DE\n"
        "x@shop.test,Bad,Country,Germany\n"
        "GOOD@shop.test,Twice,Row,DE\n",
    )
    assert code == 1
    assert "Row 2, column email: 'not-an-email' is not an email address." in err
    assert "Row 3, column country: 'GERMANY' is not a two-letter country code" in err
    assert (
        "Row 4, column email: 'good@shop.test' appears twice in the file (first on row 1)." in err
    )
    assert not Customer.objects.exists()


def test_customer_import_through_the_admin_needs_add_and_change(client_for, make_staff):
    url = reverse("admin:orders_customer_import")
    file = SimpleUploadedFile("c.csv", b"email,first_name,last_name\na@b.test,A,B\n")
    assert (
        client_for(make_staff("Fulfilment"))
        .post(url, {"import_file": file, "format": 0})
        .status_code
        == 403
    )
    support = client_for(make_staff("Customer support"))
    file.seek(0)
    preview = support.post(url, {"import_file": file, "format": 0})
    assert preview.status_code == 200 and preview.context["confirm_form"] is not None
    assert not Customer.objects.exists()


def test_customer_import_keeps_phone_numbers_and_refuses_formulas(tmp_path):
    code, _out, err = import_customers(
        tmp_path, "email,first_name,last_name,phone\nphone@shop.test,Pia,Phone,+49 (30) 123-456\n"
    )
    assert code == 0, err
    assert Customer.objects.get(email="phone@shop.test").phone == "+49 (30) 123-456"
    code, _, err = import_customers(
        tmp_path, "email,first_name,last_name,phone\nevil@shop.test,Eve,Il,+cmd|' /C calc'!A0\n"
    )
    assert code == 1 and "Row 1, column phone:" in err and "formula" in err


def test_customer_import_preview_shows_what_changes(admin_client_super):
    admin_client = admin_client_super
    make_customer(email="ada@example.com", first_name="Ada", last_name="Lovelace", city="London")
    text = (
        "email,first_name,last_name,city\n"
        "ADA@example.com,Ada,Lovelace,Paris\nnew@example.com,New,One,Rome\n"
    )
    file = SimpleUploadedFile("c.csv", text.encode(), content_type="text/csv")
    preview = admin_client.post(
        reverse("admin:orders_customer_import"), {"import_file": file, "format": 0, "resource": 0}
    )
    body = preview.content.decode()
    assert "London" in body and "Paris" in body
    row = next(r for r in preview.context["result"].valid_rows() if r.import_type == "update")
    assert [str(c) for c in row.diff if c.changed] == ["London → Paris"]
    assert "First name" in body and "Postal code" in body  # labels, not first_name
    assert Customer.objects.get(email="ada@example.com").city == "London"
