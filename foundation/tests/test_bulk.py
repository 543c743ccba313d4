"""Bulk writes: COPY on PostgreSQL, batched inserts elsewhere; no save(), no signals."""

import pytest
from django.contrib.auth.models import Group
from django.db.models.signals import post_save

from foundation import bulk
from foundation.bulk import bulk_insert, bulk_update_columns

pytestmark = pytest.mark.django_db


def test_bulk_insert_writes_every_row_and_sends_no_signal(monkeypatch):
    monkeypatch.setattr(bulk, "BATCH", 3)  # several batches on SQLite
    saved = []

    def note(**kwargs):
        saved.append(kwargs)

    post_save.connect(note, sender=Group)
    try:
        count = bulk_insert(Group, ["name"], ((f"group {n}",) for n in range(7)))
    finally:
        assert post_save.disconnect(note, sender=Group)
    assert count == 7
    assert sorted(
        Group.objects.filter(name__startswith="group ").values_list("name", flat=True)
    ) == [f"group {n}" for n in range(7)]
    assert saved == []


def test_bulk_insert_of_nothing_writes_nothing():
    before = Group.objects.count()
    assert bulk_insert(Group, ["name"], iter(())) == 0
    assert Group.objects.count() == before


def test_bulk_update_columns_sets_each_rows_values():
    a, b, c = (Group.objects.create(name=name) for name in ("a", "b", "c"))
    bulk_update_columns(Group, ["name"], [(a.pk, "alpha"), (c.pk, "gamma")])
    names = dict(Group.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("pk", "name"))
    assert names == {a.pk: "alpha", b.pk: "b", c.pk: "gamma"}
    bulk_update_columns(Group, ["name"], [])  # nothing to do
    assert Group.objects.get(pk=a.pk).name == "alpha"
