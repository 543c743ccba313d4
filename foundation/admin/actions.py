"""Changelist actions that ask for input first, on an intermediate page (POST only)."""

from collections.abc import Callable

from django import forms
from django.contrib.admin import ModelAdmin, helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

PREVIEW_LIMIT = 20


def action_with_form(
    modeladmin: ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    title: str,
    apply: Callable[[dict], HttpResponse | None],
) -> HttpResponse | None:
    """Show ``form_class`` for the selected rows; once it is valid, call ``apply``.

    The page posts back to the changelist with the same action and selection plus an
    ``apply`` flag, so Django's own action machinery (and its permission filter) runs again.
    """
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            return apply(form.cleaned_data)
    else:
        form = form_class()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "opts": modeladmin.opts,
        "count": queryset.count(),
        "preview": list(queryset[:PREVIEW_LIMIT]),
        "action": request.POST.get("action", ""),
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/foundation/action_form.html", context)
