"""Staff users and roles in the admin: lists, actions, history."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.urls import reverse

from backoffice.models import User

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:backoffice_user_changelist")


def run_action(client, action: str, users, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [u.pk for u in users], "index": 0, **extra}
    return client.post(CHANGELIST, data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_user_and_group_changelists_render(admin_client_super):
    assert admin_client_super.get(CHANGELIST).status_code == 200
    assert admin_client_super.get(reverse("admin:auth_group_changelist")).status_code == 200


def test_user_changelist_shows_roles_and_searches(admin_client_super, make_staff):
    make_staff("Fulfilment", first_name="Ada", last_name="Lovelace")
    response = admin_client_super.get(CHANGELIST, {"q": "lovelace"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ada Lovelace" in body and "Fulfilment" in body
    assert response.context["cl"].result_count == 1


def test_user_changelist_filters_by_role(admin_client_super, make_staff):
    make_staff("Fulfilment")
    make_staff("Read-only")
    group = Group.objects.get(name="Read-only")
    response = admin_client_super.get(CHANGELIST, {"groups__id__exact": group.pk})
    assert [u.username for u in response.context["cl"].result_list] == ["read-only"]


def test_group_changelist_counts_members(admin_client_super, make_staff):
    make_staff("Fulfilment")
    response = admin_client_super.get(reverse("admin:auth_group_changelist"))
    rows = {g.name: g.member_count for g in response.context["cl"].result_list}
    assert rows["Fulfilment"] == 1 and rows["Read-only"] == 0


def test_user_deactivate_and_activate_actions_record_history(
    admin_client_super, superuser, make_staff
):
    user = make_staff("Fulfilment")
    response = run_action(admin_client_super, "deactivate_users", [user])
    assert "1 user deactivated." in messages_of(response)
    user.refresh_from_db()
    assert user.is_active is False
    last = user.history.latest()
    assert last.is_active is False and last.history_user == superuser

    run_action(admin_client_super, "activate_users", [user])
    user.refresh_from_db()
    assert user.is_active is True


def test_user_deactivate_action_refuses_own_account(admin_client_super, superuser):
    response = run_action(admin_client_super, "deactivate_users", [superuser])
    superuser.refresh_from_db()
    assert superuser.is_active is True
    assert "You cannot deactivate your own account." in messages_of(response)


def test_user_add_to_role_action_asks_for_the_role_then_applies(
    admin_client_super, superuser, make_staff
):
    user = make_staff(username="newbie")
    group = Group.objects.get(name="Customer support")

    form_page = run_action(admin_client_super, "add_to_role", [user])
    assert form_page.status_code == 200
    assert b'name="role"' in form_page.content
    assert not user.groups.exists()  # showing the form changes nothing

    response = run_action(admin_client_super, "add_to_role", [user], apply=1, role=group.pk)
    assert "1 user(s) added to Customer support." in messages_of(response)
    assert list(user.groups.all()) == [group]
    assert user.history.latest().history_user == superuser

    run_action(admin_client_super, "remove_from_role", [user], apply=1, role=group.pk)
    assert not user.groups.exists()


def test_user_add_to_role_action_without_a_role_shows_the_form_again(
    admin_client_super, make_staff
):
    user = make_staff(username="newbie")
    response = run_action(admin_client_super, "add_to_role", [user], apply=1, role="")
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not user.groups.exists()


@pytest.mark.parametrize(
    "role", ["Catalog managers", "Fulfilment", "Customer support", "Read-only"]
)
def test_user_actions_refused_for_roles(client_for, make_staff, role):
    actor = make_staff(role)
    target = make_staff(username="target")
    client = client_for(actor)
    response = client.post(
        CHANGELIST, {"action": "deactivate_users", ACTION_CHECKBOX_NAME: [target.pk], "index": 0}
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.is_active is True


def test_user_history_never_stores_the_password(superuser):
    superuser.set_password("another-long-password")
    superuser.save()
    fields = {f.name for f in User.history.model._meta.get_fields()}
    assert "password" not in fields and "last_login" not in fields
