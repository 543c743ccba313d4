"""History rows for rows written in bulk: one statement, with the acting user and a reason.

simple-history needs a model with history; the project's user model has one, and is
reached through ``get_user_model()`` so that foundation's tests import no project app.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.db.models.signals import post_delete, pre_delete

from foundation.history import CHANGED, CREATED, DELETED, delete_rows, history_write

pytestmark = pytest.mark.django_db


@pytest.fixture
def users():
    model = get_user_model()
    actor = model.objects.create_user("actor", password="pw-long-1234")
    written = model.objects.bulk_create(
        [model(username=f"bulk{n}", first_name=f"Bulk {n}") for n in range(3)]
    )
    return actor, written


def test_history_write_appends_one_row_per_object_with_user_and_reason(
    users, django_assert_num_queries
):
    actor, written = users
    history = get_user_model().history
    before = history.count()
    with django_assert_num_queries(1):
        history_write(
            get_user_model(), written, history_type=CREATED, user=actor, reason="import:x"
        )
    rows = history.filter(username__startswith="bulk").order_by("username")
    assert history.count() == before + 3
    assert [(r.username, r.first_name, r.history_type) for r in rows] == [
        ("bulk0", "Bulk 0", "+"),
        ("bulk1", "Bulk 1", "+"),
        ("bulk2", "Bulk 2", "+"),
    ]
    assert {(r.id, r.history_user_id, r.history_change_reason) for r in rows} == {
        (user.pk, actor.pk, "import:x") for user in written
    }


def test_history_write_without_a_logged_in_user_names_nobody(users):
    _, written = users
    history_write(get_user_model(), written[:1], history_type=CHANGED, user=AnonymousUser())
    row = get_user_model().history.filter(id=written[0].pk).get()
    assert (row.history_type, row.history_user) == ("~", None)
    history_write(get_user_model(), [], history_type=DELETED)  # nothing to write
    assert get_user_model().history.filter(id=written[0].pk).count() == 1


def test_delete_rows_deletes_by_key_in_one_statement_without_signals(django_assert_num_queries):
    groups = [Group.objects.create(name=f"g{n}") for n in range(3)]
    signals = []

    def note(**kwargs):
        signals.append(kwargs)

    pre_delete.connect(note, sender=Group)
    post_delete.connect(note, sender=Group)
    try:
        with django_assert_num_queries(1):
            assert delete_rows(Group, [groups[0].pk, groups[2].pk]) == 2
    finally:
        pre_delete.disconnect(note, sender=Group)
        post_delete.disconnect(note, sender=Group)
    assert list(Group.objects.filter(name__startswith="g").values_list("name", flat=True)) == ["g1"]
    assert signals == []
    assert delete_rows(Group, []) == 0


def test_history_manager_class_is_built_once_per_model():
    model = get_user_model()
    assert type(model.history) is type(model.history)
    assert model.history.instance is None


def test_history_manager_of_an_instance_still_filters_by_that_instance(users):
    actor, _written = users
    actor.first_name = "Changed"
    actor.save()
    assert [h.first_name for h in actor.history.order_by("history_id")] == ["", "Changed"]
    assert type(actor.history) is type(model_history := get_user_model().history)
    assert model_history.count() >= 2
