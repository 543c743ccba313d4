"""Staff users and roles (groups) in the admin."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from unfold.widgets import UnfoldAdminSelectWidget

from backoffice.models import User
from backoffice.services import user_set_active, user_set_role
from foundation.admin.actions import action_with_form
from foundation.admin.base import HistoryAdmin

admin.site.unregister(Group)


class RoleForm(forms.Form):
    role = forms.ModelChoiceField(
        queryset=Group.objects.order_by("name"), label=_("Role"), widget=UnfoldAdminSelectWidget
    )


@admin.register(User)
class UserAdmin(BaseUserAdmin, HistoryAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = [
        "username",
        "display_full_name",
        "email",
        "display_roles",
        "is_staff",
        "is_active",
        "last_login",
    ]
    list_filter = ["groups", "is_active", "is_staff", "is_superuser"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering = ["username"]
    actions = ["activate_users", "deactivate_users", "add_to_role", "remove_from_role"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
        )

    @admin.display(description=_("Full name"), ordering="last_name")
    def display_full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.display(description=_("Roles"))
    def display_roles(self, obj: User) -> str:
        return ", ".join(group.name for group in obj.groups.all()) or "—"

    @admin.action(description=_("Activate selected users"), permissions=["change"])
    def activate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        changed = user_set_active(users=queryset, active=True, actor=request.user)
        self.message_user(
            request, ngettext("%d user activated.", "%d users activated.", changed) % changed
        )

    @admin.action(description=_("Deactivate selected users"), permissions=["change"])
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        changed = user_set_active(users=queryset, active=False, actor=request.user)
        self.message_user(
            request, ngettext("%d user deactivated.", "%d users deactivated.", changed) % changed
        )
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(
                request, _("You cannot deactivate your own account."), messages.WARNING
            )

    @admin.action(description=_("Add selected users to a role"), permissions=["change"])
    def add_to_role(self, request: HttpRequest, queryset: QuerySet[User]):
        return self._set_role(request, queryset, member=True, title=_("Add users to a role"))

    @admin.action(description=_("Remove selected users from a role"), permissions=["change"])
    def remove_from_role(self, request: HttpRequest, queryset: QuerySet[User]):
        return self._set_role(request, queryset, member=False, title=_("Remove users from a role"))

    def _set_role(
        self, request: HttpRequest, queryset: QuerySet[User], *, member: bool, title: str
    ):
        def apply(data: dict) -> None:
            changed = user_set_role(users=queryset, group=data["role"], member=member)
            verb = _("added to") if member else _("removed from")
            self.message_user(request, f"{changed} user(s) {verb} {data['role'].name}.")

        return action_with_form(
            self, request, queryset, form_class=RoleForm, title=title, apply=apply
        )


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, UnfoldModelAdmin):
    list_display = ["name", "display_members"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(member_count=Count("user", distinct=True))

    @admin.display(description=_("Members"), ordering="member_count")
    def display_members(self, obj: Group) -> int:
        return obj.member_count
