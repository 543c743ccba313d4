"""The Roles page: says what it is, shows the built-in roles' rights in words, read-only."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_roles_list_says_where_the_rights_come_from(superuser, client_for):
    page = client_for(superuser).get(reverse("admin:auth_group_changelist")).content.decode()
    assert "<title> Roles |" in page
    assert "Authentication and Authorization" not in page
    assert "set from backoffice/roles.py by every migrate and by manage.py sync_roles" in page
    assert "Built-in (backoffice/roles.py)" in page


def test_a_built_in_role_is_shown_in_words_and_cannot_be_edited(superuser, client_for):
    client = client_for(superuser)
    role = Group.objects.get(name="Catalog managers")
    url = reverse("admin:auth_group_change", args=[role.pk])
    page = client.get(url).content.decode()
    assert "View role" in page
    assert "an edit made here would be reset" in page
    assert (
        '<li><span class="font-medium text-important">Product</span>: '
        "view, add, change, delete, adjust stock by hand</li>"
    ) in page
    assert 'name="permissions"' not in page  # no raw permission picker
    before = set(role.permissions.values_list("pk", flat=True))
    response = client.post(url, {"name": "Catalog managers", "permissions": []})
    assert response.status_code == 403
    assert set(role.permissions.values_list("pk", flat=True)) == before
    assert (
        client.post(reverse("admin:auth_group_delete", args=[role.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Group.objects.filter(pk=role.pk).exists()


def test_a_role_added_here_is_edited_with_the_permission_picker(superuser, client_for):
    client = client_for(superuser)
    extra = Group.objects.create(name="Interns")
    extra.permissions.add(Permission.objects.get(codename="view_product"))
    page = client.get(reverse("admin:auth_group_change", args=[extra.pk])).content.decode()
    assert 'name="permissions"' in page
    assert "Added here" in client.get(reverse("admin:auth_group_changelist")).content.decode()
