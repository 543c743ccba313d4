"""API tokens in the admin: superusers make and revoke them; every user sees their own.

A new token's key is shown once, on the page that answers the save, and never again (only
its digest is stored).
"""

import secrets

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.widgets import UnfoldAdminIntegerFieldWidget

from backoffice.models import ApiToken
from backoffice.services import api_token_create, api_token_revoke

SENT_KEPT = 24 * 60 * 60  # seconds a sent add form is remembered, against a resubmission


def _sent_key(once: str) -> str:
    return f"api-token-form-sent:{once}"


class ApiTokenForm(forms.ModelForm):
    # A random value per add form: the same form sent again (the browser reloading the page
    # that shows the new key) is recognised instead of making a second live token.
    once = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    expires_days = forms.IntegerField(
        label="Expires in (days)",
        required=False,
        min_value=1,
        max_value=3650,
        widget=UnfoldAdminIntegerFieldWidget,  # a declared field gets no Unfold widget by itself
        help_text="Empty: never expires.",
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("once", secrets.token_urlsafe(24))


@admin.register(ApiToken)
class ApiTokenAdmin(UnfoldModelAdmin):
    list_display = ["name", "user", "prefix", "display_state", "expires_at", "last_used_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    readonly_fields = ["prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    actions = ["revoke_tokens"]

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenForm
            kwargs["fields"] = ["user", "name", "expires_days", "once"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ["user", "name", "expires_days", "once"]
        return ["user", "name", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return ["user", *self.readonly_fields] if obj is not None else []

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        tokens = super().get_queryset(request)
        return tokens if request.user.is_superuser else tokens.filter(user=request.user)

    # Superusers manage every token; a staff user sees (and may revoke) their own.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request) and (
            request.user.is_superuser or obj is None or obj.user_id == request.user.pk
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    @admin.display(description="State")
    def display_state(self, obj: ApiToken) -> str:
        if obj.revoked_at:
            return "revoked"
        if obj.expires_at and obj.expires_at <= timezone.now():
            return "expired"
        return "active"

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        # get_queryset already limits a staff user to their own tokens.
        revoked = api_token_revoke(tokens=queryset)
        self.message_user(request, f"{revoked} token(s) revoked.")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        once = request.POST.get("once", "") if request.method == "POST" else ""
        sent = object_id is None and 0 < len(once) <= 64  # the form's own values only
        if sent and cache.get(_sent_key(once)) is not None:
            self.message_user(
                request,
                "This form was already sent: its token was made then, and its key shown "
                "once. No second token was made. If the key was not kept, revoke that token "
                "and make a new one.",
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:backoffice_apitoken_changelist"))
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: ApiToken, form, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        token, key = api_token_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            expires_days=form.cleaned_data.get("expires_days"),
        )
        if once := form.cleaned_data.get("once"):
            cache.set(_sent_key(once), token.pk, SENT_KEPT)
        obj.pk, obj._new_key = token.pk, key

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue=None):
        # The key is on this page only: not in a message (cookie) nor in the log.
        context = {
            **self.admin_site.each_context(request),
            "title": "API token created",
            "token": ApiToken.objects.get(pk=obj.pk),
            "key": obj._new_key,
            "opts": self.opts,
        }
        return TemplateResponse(request, "admin/backoffice/token_created.html", context)
