"""Printable documents in the orders admin: packing slips, invoices, pick lists.

Anyone who may view orders may print them (packing slips, pick lists and invoices show
nothing the order page does not). Every document is a GET page that writes nothing; the
list's actions only send the selected orders (at most MAX_DOCUMENTS) to that page.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from unfold.decorators import action

from foundation.display import currency
from orders.documents import (
    MAX_DOCUMENTS,
    TooManyOrders,
    order_documents,
    parse_order_ids,
    pick_list,
    store_name,
)
from orders.models import Order

# Address part -> (template, title of one, title of several).
DOCUMENTS = {
    "packing-slips": ("orders/documents/packing_slip.html", "Packing slip", "Packing slips"),
    "invoices": ("orders/documents/invoice.html", "Invoice", "Invoices"),
    "pick-list": ("orders/documents/pick_list.html", "Pick list", "Pick list"),
}
# What OrderAdmin adds to its lists (orders/admin/orders.py).
DOCUMENT_ACTIONS = ["print_packing_slips", "print_invoices", "print_pick_list"]
DOCUMENT_DETAIL_ACTIONS = ["packing_slip", "invoice"]


class OrderDocumentsMixin:
    """The document pages and the buttons and actions that lead to them."""

    def has_print_permission(self, request: HttpRequest, object_id=None) -> bool:
        return self.has_view_permission(request)

    def get_urls(self):
        # Before the admin's own "<object_id>/…" patterns, which would take "print" for an id.
        return [
            path(
                "print/<slug:kind>/",
                self.admin_site.admin_view(self.print_view),
                name="orders_order_print",
            ),
            *super().get_urls(),
        ]

    # On the order page ---------------------------------------------------------------------

    @action(
        description="Packing slip",
        url_path="packing-slip",
        permissions=["print"],
        icon="package_2",
        attrs={"target": "_blank"},
    )
    def packing_slip(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.render_documents(request, "packing-slips", object_id)

    @action(
        description="Invoice",
        url_path="invoice",
        permissions=["print"],
        icon="receipt",
        attrs={"target": "_blank"},
    )
    def invoice(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.render_documents(request, "invoices", object_id)

    # On the list, for the selected orders ----------------------------------------------------

    @admin.action(description="Print packing slips", permissions=["print"])
    def print_packing_slips(self, request: HttpRequest, queryset: QuerySet[Order]):
        return self.print_selected(request, queryset, "packing-slips")

    @admin.action(description="Print invoices", permissions=["print"])
    def print_invoices(self, request: HttpRequest, queryset: QuerySet[Order]):
        return self.print_selected(request, queryset, "invoices")

    @admin.action(description="Pick list", permissions=["print"])
    def print_pick_list(self, request: HttpRequest, queryset: QuerySet[Order]):
        return self.print_selected(request, queryset, "pick-list")

    def print_selected(self, request: HttpRequest, queryset: QuerySet[Order], kind: str):
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: MAX_DOCUMENTS + 1])
        if len(ids) > MAX_DOCUMENTS:
            self.message_user(request, too_many_message(), messages.ERROR)
            return None
        url = reverse("admin:orders_order_print", args=[kind])
        return HttpResponseRedirect(f"{url}?ids={','.join(map(str, ids))}")

    # The documents ---------------------------------------------------------------------------

    def print_view(self, request: HttpRequest, kind: str) -> HttpResponse:
        if kind not in DOCUMENTS:
            raise Http404
        if not self.has_print_permission(request):
            raise PermissionDenied
        return self.render_documents(request, kind, request.GET.get("ids", ""))

    def render_documents(self, request: HttpRequest, kind: str, ids: str) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])  # printing reads; it never writes
        try:
            order_ids = parse_order_ids(str(ids))
        except TooManyOrders:
            self.message_user(request, too_many_message(), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:orders_order_changelist"))
        except ValueError:
            return HttpResponseBadRequest("Name the orders by their ids: ?ids=1,2,3")
        template, one, several = DOCUMENTS[kind]
        context = {
            "store_name": store_name(),
            "currency": currency(),
            "kind": kind,
            "back_url": reverse("admin:orders_order_changelist"),
        }
        if kind == "pick-list":
            context["pick"] = pick_list(order_ids)
            context["title"] = one
            if not context["pick"].orders and not context["pick"].left_out:
                raise Http404
        else:
            documents = order_documents(order_ids)
            if not documents:
                raise Http404
            context["documents"] = documents
            if len(documents) == 1:
                first = documents[0].order
                context["title"] = f"{one} {first.number}"
                context["back_url"] = reverse("admin:orders_order_change", args=[first.pk])
            else:
                context["title"] = f"{several} ({len(documents)} orders)"
        return TemplateResponse(request, template, context)


def too_many_message() -> str:
    return (
        f"At most {MAX_DOCUMENTS} orders can be printed at once. "
        "Select fewer (filter the list first) and print in batches."
    )
