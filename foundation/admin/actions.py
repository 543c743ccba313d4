"""Actions that ask for input first, on an intermediate page: for selected rows of a list
(POST only, through Django's action machinery) or for one object (its own page)."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.contrib.admin import ModelAdmin, helpers
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

PREVIEW_LIMIT = 20


@dataclass
class Preview:
    """What an action would change, shown before it is applied: the first rows of it."""

    summary: str  # the change as it will be applied, e.g. "Prices +10%"
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (what, now, after)
    rest: int = 0  # rows selected beyond those shown
    problem: str = ""  # why applying would be refused, if it would


def action_with_form(
    modeladmin: ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    title: str,
    apply: Callable[[dict], HttpResponse | None],
    preview: Callable[[dict], Preview] | None = None,
) -> HttpResponse | None:
    """Show ``form_class`` for the selected rows; once it is valid, call ``apply``.

    The page posts back to the changelist with the same action and selection plus an
    ``apply`` flag, so Django's own action machinery (and its permission filter) runs again.
    With ``preview``, the form first posts a ``preview`` flag: the page then shows what
    would change (nothing is written) and the values as they will be applied.
    """
    context = {
        "count": queryset.count(),
        "selection": list(queryset[:PREVIEW_LIMIT]),
        "action": request.POST.get("action", ""),
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return form_page(
        modeladmin,
        request,
        form_class=form_class,
        title=title,
        apply=apply,
        preview=preview,
        context=context,
    )


def object_action_with_form(
    modeladmin: ModelAdmin,
    request: HttpRequest,
    obj: Model,
    *,
    form_class: type[forms.Form],
    title: str,
    apply: Callable[[dict], HttpResponse | None],
    cancel_url: str,
    intro: str = "",
) -> HttpResponse | None:
    """The same page for one object, at an address of its own: a GET shows the form,
    a POST applies it. The caller checks the permission for both."""
    context = {"count": 1, "selection": [obj], "cancel_url": cancel_url, "intro": intro}
    return form_page(
        modeladmin, request, form_class=form_class, title=title, apply=apply, context=context
    )


def form_page(
    modeladmin: ModelAdmin,
    request: HttpRequest,
    *,
    form_class: type[forms.Form],
    title: str,
    apply: Callable[[dict], HttpResponse | None],
    preview: Callable[[dict], Preview] | None = None,
    context: dict,
) -> HttpResponse | None:
    shown = None
    if request.method == "POST" and "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            return apply(form.cleaned_data)
    elif request.method == "POST" and preview is not None and "preview" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            shown = preview(form.cleaned_data)
    elif request.method == "POST" and "edit" in request.POST:
        form = form_class(request.POST)  # back from a preview, with the values kept
    else:
        form = form_class()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "opts": modeladmin.opts,
        "has_preview": preview is not None,
        "shown": shown,
        **context,
    }
    return TemplateResponse(request, "admin/foundation/action_form.html", context)
