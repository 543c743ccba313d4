"""Large lists: a count that stops at the cap, and later pages loaded by their keys first."""

import pytest
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from foundation.admin.base import BaseAdmin
from foundation.admin.paginator import CappedCountPaginator, KeysFirstChangeList

pytestmark = pytest.mark.django_db


class CappedAt(CappedCountPaginator):
    max_rows = 20


def test_capped_count_paginator_stops_counting_at_the_cap():
    permissions = Permission.objects.filter(codename__contains="_")  # filtered: no estimate
    assert permissions.count() > 21
    paginator = CappedAt(permissions.order_by("pk"), 5)
    with CaptureQueriesContext(connection) as queries:
        assert (paginator.capped, paginator.count, paginator.num_pages) == (True, 20, 4)
    assert len(queries) == 1 and "LIMIT 21" in queries[0]["sql"].upper()
    assert paginator.display_count == "more than 20"
    assert paginator.max_rows_display == "20"


def test_capped_count_paginator_below_the_cap_is_exact():
    few = Permission.objects.filter(codename__startswith="view_").order_by("pk")
    count = few.count()
    paginator = CappedCountPaginator(few, 5)
    assert (paginator.capped, paginator.count, paginator.display_count) == (
        False,
        count,
        f"{count:,}",
    )
    nothing = Permission.objects.filter(codename="no-such-permission").order_by("pk")
    assert CappedCountPaginator(nothing, 5).display_count == "0"


class PermissionAdmin(BaseAdmin):
    list_display = ["name", "codename", "content_type"]
    list_per_page = 10
    ordering = ["pk"]


@pytest.fixture
def changelist(rf, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-long-1234")
    model_admin = PermissionAdmin(Permission, AdminSite())

    def get(**params):
        request = rf.get("/", params)
        request.user = user
        return model_admin.get_changelist_instance(request)

    return get


def test_base_admin_uses_the_keys_first_changelist_and_capped_paginator(changelist):
    cl = changelist()
    assert isinstance(cl, KeysFirstChangeList)
    assert isinstance(cl.paginator, CappedCountPaginator)


@pytest.mark.parametrize("ordering", ["1", "-1", "2", "-2", "3", "-3.1"])
def test_keys_first_changelist_later_pages_match_plain_slicing(changelist, ordering):
    total = Permission.objects.count()
    for page in (2, total // 10):  # a middle page and the last full one
        cl = changelist(o=ordering, p=page)
        expected = list(cl.queryset[(page - 1) * 10 : page * 10])
        assert cl.result_list == expected and len(expected) == 10, (ordering, page)


def test_keys_first_changelist_reads_keys_then_only_the_pages_rows(changelist):
    with CaptureQueriesContext(connection) as queries:
        cl = changelist(p=3)
    assert [p.pk for p in cl.result_list] == list(
        Permission.objects.order_by("pk").values_list("pk", flat=True)[20:30]
    )
    selects = [
        q["sql"] for q in queries if "auth_permission" in q["sql"] and "COUNT" not in q["sql"]
    ]
    key = f"{connection.ops.quote_name('auth_permission')}.{connection.ops.quote_name('id')}"
    assert any("OFFSET 20" in sql.upper() and key in sql for sql in selects)
    assert any(" IN (" in sql.upper() for sql in selects)  # the page's rows, by key


@pytest.mark.postgres
def test_capped_count_paginator_unfiltered_shows_the_planner_estimate_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE auth_permission")
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'auth_permission'")
        (estimate,) = cursor.fetchone()
    paginator = CappedAt(Permission.objects.order_by("pk"), 5)
    assert paginator.capped and paginator.display_count == f"about {estimate:,}"
    filtered = CappedAt(Permission.objects.filter(pk__gt=0).order_by("pk"), 5)
    assert filtered.display_count == "more than 20"
