from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.tests.factories import make_product
from orders.models import Customer, OrderStatus
from orders.tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:orders_customer_changelist")


def test_customer_list_shows_counts_spent_and_last_order(admin_client_super):
    mug = make_product("MUG", stock=20, price="10.00")
    alice = make_customer("alice@shop.test")
    make_order([(mug, 2)], customer=alice)
    cancelled = make_order([(mug, 1)], customer=alice)
    cancelled.status = OrderStatus.CANCELLED
    cancelled.save()
    make_customer("bob@shop.test")
    response = admin_client_super.get(CHANGELIST)
    rows = {c.email: c for c in response.context["cl"].result_list}
    assert rows["alice@shop.test"].order_count == 2
    assert rows["alice@shop.test"].spent == Decimal("20.00")  # the cancelled order does not count
    assert rows["alice@shop.test"].last_order is not None
    assert rows["bob@shop.test"].order_count == 0


def test_customer_list_search_and_has_orders_filter(admin_client_super):
    mug = make_product("MUG", stock=20)
    alice = make_customer("alice@shop.test", first_name="Alice", phone="+49 30 1234")
    make_order([(mug, 1)], customer=alice)
    make_customer("bob@shop.test", first_name="Bob")

    def emails(params):
        return sorted(
            c.email for c in admin_client_super.get(CHANGELIST, params).context["cl"].result_list
        )

    assert emails({"q": "alice@"}) == ["alice@shop.test"]
    assert emails({"q": "+49 30"}) == ["alice@shop.test"]
    assert emails({"q": "alice"}) == ["alice@shop.test"]
    assert emails({"q": "bob customer"}) == ["bob@shop.test"]  # every word, any name field
    assert emails({"q": "alice bob"}) == []
    assert emails({"has_orders": "yes"}) == ["alice@shop.test"]
    assert emails({"has_orders": "no"}) == ["bob@shop.test"]


def test_customer_list_query_count_does_not_grow_with_rows(admin_client_super):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            admin_client_super.get(CHANGELIST)
        return len(ctx.captured_queries)

    for _ in range(3):
        make_customer()
    count_queries()  # warm-up: fills the cached list of countries
    few = count_queries()
    for _ in range(20):
        make_customer()
    assert count_queries() == few


def test_customer_page_lists_orders_and_history(admin_client_super, superuser):
    mug = make_product("MUG", stock=20)
    alice = make_customer("alice@shop.test")
    order = make_order([(mug, 1)], customer=alice)
    page = admin_client_super.get(reverse("admin:orders_customer_change", args=[alice.pk]))
    assert page.status_code == 200 and order.number in page.content.decode()
    history = admin_client_super.get(reverse("admin:orders_customer_history", args=[alice.pk]))
    assert history.status_code == 200


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


def test_customer_import_all_or_nothing_with_row_errors(tmp_path):
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


def test_customer_import_through_admin_needs_add_and_change(client_for, make_staff):
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
