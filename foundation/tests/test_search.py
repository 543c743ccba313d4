"""Search words: a pasted paragraph is cut, and every word must match some field."""

import pytest
from django.contrib.auth.models import Permission

from foundation.search import MAX_WORDS, name_query, words


def test_words_splits_on_any_space_and_keeps_at_most_max_words():
    assert words("  red \t shoes\n") == ["red", "shoes"]
    assert words("") == []
    long = " ".join(f"w{n}" for n in range(MAX_WORDS + 5))
    assert words(long) == [f"w{n}" for n in range(MAX_WORDS)]


@pytest.mark.django_db
def test_name_query_needs_every_word_in_one_of_the_fields():
    query = name_query("ADD group", "name", "codename")
    found = set(Permission.objects.filter(query).values_list("codename", flat=True))
    assert "add_group" in found and "view_group" not in found
    assert found == {
        p.codename
        for p in Permission.objects.all()
        if all(w in (p.name + " " + p.codename).lower() for w in ("add", "group"))
    }
    across = name_query("view auth", "name", "content_type__app_label")
    expected = {
        p.codename
        for p in Permission.objects.select_related("content_type")
        if "view" in p.name.lower()
        and "auth" in (p.name.lower() + " " + p.content_type.app_label.lower())
    }
    assert set(Permission.objects.filter(across).values_list("codename", flat=True)) == expected
    assert "view_group" in expected and "view_permission" in expected


@pytest.mark.django_db
def test_name_query_without_words_matches_everything():
    assert Permission.objects.filter(name_query("   ", "name")).count() == (
        Permission.objects.count()
    )
