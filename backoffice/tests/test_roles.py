"""Roles are Django groups whose permissions follow backoffice.roles exactly."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from backoffice.roles import ROLE_NAMES, ROLE_PERMISSIONS, sync_roles

pytestmark = pytest.mark.django_db


def perms_of(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_roles_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_NAMES)


def test_roles_have_exactly_the_matrix_permissions():
    for name in ROLE_NAMES:
        assert perms_of(Group.objects.get(name=name)) == set(ROLE_PERMISSIONS[name])


def test_sync_roles_undoes_a_manual_change():
    group = Group.objects.get(name="Read-only")
    group.permissions.clear()
    group.permissions.add(Permission.objects.get(codename="delete_user"))
    call_command("sync_roles", stdout=StringIO())
    assert perms_of(group) == set(ROLE_PERMISSIONS["Read-only"])


def test_sync_roles_refuses_an_unknown_permission(monkeypatch):
    monkeypatch.setitem(ROLE_PERMISSIONS, "Read-only", ["catalog.fly_to_the_moon"])
    with pytest.raises(LookupError, match="fly_to_the_moon"):
        sync_roles()
