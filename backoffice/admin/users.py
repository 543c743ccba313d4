"""Staff users and roles (groups) in the admin."""

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from unfold.widgets import UnfoldAdminSelectWidget

from backoffice.models import User
from backoffice.roles import ROLE_NAMES
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


# Staff know groups as roles. Only the names shown change: a migration records a model's
# declared options (Meta), which stay Django's, so no migration of auth follows.
Group._meta.verbose_name = _("role")
Group._meta.verbose_name_plural = _("roles")
apps.get_app_config("auth").verbose_name = _("Staff")

BUILT_IN_ROLE_NOTE = _(
    "The permissions of the built-in roles (%(roles)s) are set from backoffice/roles.py by "
    "every migrate and by manage.py sync_roles: an edit made here would be reset, so they "
    "are shown read-only. To give someone more rights, add them to a second role, or add a "
    "role of your own here."
)


def permissions_by_model(permissions) -> list[tuple[str, list[str]]]:
    """[("Product", ["view", "add", "change", "delete", "Adjust stock"]), ...]: what a
    role may do, model by model, in words rather than Django's "app | model | Can …"."""
    grouped: dict[str, list[str]] = {}
    for permission in permissions:
        model = permission.content_type.model_class()
        name = model._meta.verbose_name.capitalize() if model else permission.content_type.model
        action = permission.codename.split("_", 1)[0]
        if permission.codename == f"{action}_{permission.content_type.model}" and action in (
            "view",
            "add",
            "change",
            "delete",
        ):
            grouped.setdefault(name, []).append(action)
        else:
            grouped.setdefault(name, []).append(str(permission.name).removeprefix("Can "))
    order = {"view": 0, "add": 1, "change": 2, "delete": 3}
    return sorted(
        (name, sorted(acts, key=lambda a: (order.get(a, 4), a))) for name, acts in grouped.items()
    )


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, UnfoldModelAdmin):
    list_display = ["name", "display_kind", "display_members"]
    search_fields = ["name"]
    readonly_fields = ["display_permissions"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(member_count=Count("user", distinct=True))

    @staticmethod
    def is_built_in(obj: Group | None) -> bool:
        return obj is not None and obj.name in ROLE_NAMES

    def changelist_view(self, request: HttpRequest, extra_context=None):
        note = BUILT_IN_ROLE_NOTE % {"roles": ", ".join(ROLE_NAMES)}
        extra_context = {"title": _("Roles"), "roles_note": note, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_fieldsets(self, request: HttpRequest, obj: Group | None = None):
        if self.is_built_in(obj):
            note = BUILT_IN_ROLE_NOTE % {"roles": ", ".join(ROLE_NAMES)}
            return [(None, {"fields": ["name", "display_permissions"], "description": note})]
        return [(None, {"fields": ["name", "permissions"]})]

    # The built-in roles are kept by backoffice/roles.py: shown, never edited or deleted.
    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return not self.is_built_in(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return not self.is_built_in(obj) and super().has_delete_permission(request, obj)

    @admin.display(description=_("Kind"))
    def display_kind(self, obj: Group) -> str:
        return _("Built-in (backoffice/roles.py)") if self.is_built_in(obj) else _("Added here")

    @admin.display(description=_("Members"), ordering="member_count")
    def display_members(self, obj: Group) -> int:
        return obj.member_count

    @admin.display(description=_("Permissions"))
    def display_permissions(self, obj: Group) -> str:
        permissions = obj.permissions.select_related("content_type").order_by("codename")
        rows = permissions_by_model(permissions)
        if not rows:
            return _("None")
        return format_html(
            '<ul class="flex flex-col gap-1" id="role-permissions">{}</ul>',
            format_html_join(
                "",
                '<li><span class="font-medium text-important">{}</span>: {}</li>',
                ((model, ", ".join(actions)) for model, actions in rows),
            ),
        )
