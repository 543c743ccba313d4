"""Orders in the admin: list, lines with a live summary, the timeline, status transitions."""

import json
from urllib.parse import urlsplit

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from import_export.formats.base_formats import CSV
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import (
    ChoicesCheckboxFilter,
    RangeDateFilter,
    RangeNumericFilter,
)
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from catalog.admin.images import thumbnail_html
from catalog.services import InsufficientStock
from foundation.admin.actions import action_with_form
from foundation.admin.base import BackofficeAdmin
from foundation.admin.cells import label
from foundation.display import money, when
from foundation.text import ascii_digits
from orders.admin.documents import DOCUMENT_ACTIONS, DOCUMENT_DETAIL_ACTIONS, OrderDocumentsMixin
from orders.admin.filters import CustomerOrdersFilter, ShippingCountryFilter
from orders.admin.forms import (
    CommentForm,
    LineProductWidget,
    OrderForm,
    OrderItemForm,
    OrderItemFormSet,
    ProductChoiceField,
    TransitionForm,
    TransitionReasonForm,
)
from orders.admin.links import customer_link
from orders.admin.timeline import order_timeline
from orders.exporting import stream_order_lines_csv
from orders.history import attach_line_changes, order_line_changes
from orders.models import (
    Customer,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    with_product_thumbnail,
)
from orders.resources import OrderImportResource, OrderLineResource
from orders.search import order_number_query, person_query
from orders.services import (
    TRANSITIONS,
    CommentRefused,
    OrderInvalid,
    TransitionRefused,
    order_comment,
    order_delete,
    order_save,
    order_transition,
)

STATUS_LABELS = {
    OrderStatus.PENDING: "warning",
    OrderStatus.PAID: "info",
    OrderStatus.SHIPPED: "primary",
    OrderStatus.DELIVERED: "success",
    OrderStatus.CANCELLED: "danger",
    OrderStatus.RETURNED: "danger",
}
# Target status -> (button and action text, permission codename).
TRANSITION_ACTIONS = {
    OrderStatus.PAID: ("Mark as paid", "mark_paid"),
    OrderStatus.SHIPPED: ("Mark as shipped", "mark_shipped"),
    OrderStatus.DELIVERED: ("Mark as delivered", "mark_delivered"),
    OrderStatus.CANCELLED: ("Cancel order", "cancel_order"),
    OrderStatus.RETURNED: ("Mark as returned", "mark_returned"),
}
# What each move really does, said in its dialog (see docs/orders.md, "What happens to
# the stock"). Cancel and return ask for a reason, kept on the order's timeline.
TRANSITION_EFFECTS = {
    OrderStatus.PAID: "Records that the customer has paid. No stock moves: the order "
    "already holds its units.",
    OrderStatus.SHIPPED: "Records that the parcel has left the warehouse. No stock moves "
    "(the units were taken when the order was saved); its lines can no longer change.",
    OrderStatus.DELIVERED: "Records that the customer has received the parcel. No stock moves.",
    OrderStatus.CANCELLED: "The units of its lines go back to inventory (ledger reason "
    "Order cancelled). A cancelled order cannot be reopened.",
    OrderStatus.RETURNED: "The units of its lines are put back into inventory (ledger "
    "reason Order returned). A returned order is final.",
}
NEEDS_REASON = frozenset({OrderStatus.CANCELLED, OrderStatus.RETURNED})
# The dialog's way back, next to the button that goes on: never "Cancel" beside "Cancel order".
DIALOG_BACK = {OrderStatus.CANCELLED: "Keep order"}


class LinesAdminFormSet(helpers.InlineAdminFormSet):
    """The order's lines: "Add line" under the heading "Lines" (not "Add another Order item")."""

    def inline_formset_data(self) -> str:
        data = json.loads(super().inline_formset_data())
        data["options"]["addText"] = "Add line"
        return json.dumps(data)


class OrderItemInline(TabularInline):
    model = OrderItem
    form = OrderItemForm
    formset = OrderItemFormSet
    fields = ["display_thumbnail", "product", "quantity", "unit_price", "display_line_total"]
    readonly_fields = ["display_thumbnail", "display_line_total"]
    autocomplete_fields = ["product"]
    extra = 0
    min_num = 1
    verbose_name = "line"
    verbose_name_plural = "Lines"
    show_title = False  # no caption such as "3 x CLEAR-CASE-000010" above each line

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderItem]:
        return with_product_thumbnail(super().get_queryset(request).select_related("product"))

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "product":  # the picker shows picture, price and stock
            kwargs["widget"] = LineProductWidget(db_field, self.admin_site)
            kwargs["form_class"] = ProductChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="")
    def display_thumbnail(self, obj: OrderItem) -> str:
        name = getattr(obj, "product_thumbnail", None)
        if not name:  # Unfold writes "-" in an empty cell: a stray dash before the line
            return format_html('<span aria-hidden="true"></span>')
        return thumbnail_html(name, obj.product.name, 40)

    @admin.display(description="Line total")
    def display_line_total(self, obj: OrderItem) -> str:
        # The summary script fills it in for new lines and keeps it current while typing.
        return format_html(
            '<span data-line-total class="font-medium whitespace-nowrap">{}</span>',
            money(obj.line_total) if obj.pk else "—",
        )

    # Lines change only while the order is pending or paid.
    def has_add_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return super().has_add_permission(request, obj) and (obj is None or obj.lines_editable)

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.lines_editable)

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.lines_editable)


def _bulk_transition(to_status: str):
    text, codename = TRANSITION_ACTIONS[to_status]

    def run(modeladmin, request: HttpRequest, queryset: QuerySet[Order]):
        if to_status not in NEEDS_REASON:
            return modeladmin.run_transitions(request, queryset, to_status)

        def apply(data: dict) -> None:
            modeladmin.run_transitions(request, queryset, to_status, reason=data["reason"])

        return action_with_form(
            modeladmin,
            request,
            queryset,
            form_class=TransitionReasonForm,
            title=f"{text}: {TRANSITION_EFFECTS[to_status]}",
            apply=apply,
        )

    run.__name__ = f"bulk_{to_status}"
    return admin.action(description=f"{text} (selected orders)", permissions=[codename])(run)


def _detail_transition(to_status: str):
    text, _ = TRANSITION_ACTIONS[to_status]

    def run(modeladmin, request: HttpRequest, object_id: str) -> HttpResponse:
        return modeladmin.run_detail_transition(request, object_id, to_status)

    run.__name__ = f"detail_{to_status}"
    wrapped = action(
        description=text,
        url_path=f"transition/{to_status}",
        permissions=[f"to_{to_status}"],
        variant=ActionVariant.DANGER
        if to_status in (OrderStatus.CANCELLED, OrderStatus.RETURNED)
        else ActionVariant.PRIMARY,
    )(run)
    # Opened as Unfold's dialog; run_detail_transition draws it (what the move does, the
    # reason field, "Keep order" rather than "Cancel") and applies it on POST.
    wrapped.dialog = {"title": f"{text}?", "form_submit_text": text}
    return wrapped


@admin.register(Order)
class OrderAdmin(OrderDocumentsMixin, BackofficeAdmin):
    form = OrderForm
    # Export: one row per order line; import: orders from a channel's CSV (by reference).
    resource_classes = [OrderLineResource]
    inlines = [OrderItemInline]
    list_display = [
        "number",
        "display_customer",
        "display_status",
        "item_count",
        "display_total",
        "display_placed_at",
    ]
    list_display_links = ["number"]
    search_fields = ["^number", "^customer__email", "customer__first_name", "customer__last_name"]
    search_help_text = "Order number (or its start), customer email (or its start) or name."
    list_filter = [
        ("status", ChoicesCheckboxFilter),
        ("placed_at", RangeDateFilter),
        ("total", RangeNumericFilter),
        ShippingCountryFilter,
        CustomerOrdersFilter,
    ]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["number", "external_reference", "updated_at"]
    ordering = ["-placed_at", "-id"]
    show_full_result_count = False
    history_revert_allowed = False  # a revert could skip the status workflow and stock
    actions = [_bulk_transition(status) for status in TRANSITION_ACTIONS]
    # The status changes only through these buttons (the page shows it, as a badge).
    actions_detail = [f"detail_{status}" for status in TRANSITION_ACTIONS]
    # Printing (orders/admin/documents.py): packing slips, invoices, pick lists.
    actions += DOCUMENT_ACTIONS
    actions_detail += DOCUMENT_DETAIL_ACTIONS
    actions_row = ["row_mark_shipped"]
    # The page: a header (number, status, reason), the customer, the lines with a live
    # summary, then notes, address and money in tabs; the timeline below the form.
    change_form_before_template = "admin/orders/order/header.html"
    change_form_outer_after_template = "admin/orders/order/timeline.html"

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # The order's own changes, then its lines' (added, removed, quantity, price), which
        # have history rows of their own: without them a line edit read "Changes: -".
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        records = list(historical_records)
        if not records:
            return
        newest = max(records, key=lambda r: (r.history_date, r.history_id))
        newer = (
            Order.history.filter(id=newest.id, history_date__gt=newest.history_date)
            .order_by("history_date")
            .values_list("history_date", flat=True)
            .first()
        )
        attach_line_changes(records, order_line_changes(newest.id), until=newer)

    fieldsets = [
        (None, {"fields": ["customer", "placed_at", "external_reference", "read_version"]}),
        ("Money", {"fields": ["shipping_cost", "discount"], "classes": ["tab"]}),
        (
            "Shipping address",
            {
                "fields": [
                    "shipping_name",
                    "shipping_street",
                    "shipping_city",
                    "shipping_postal_code",
                    "shipping_country",
                ],
                "classes": ["tab"],
            },
        ),
        ("Notes", {"fields": ["notes"], "classes": ["tab"]}),
    ]

    class Media:
        js = ["orders/order_page.js"]
        css = {"all": ["orders/order_page.css"]}

    def get_fieldsets(self, request: HttpRequest, obj: Order | None = None):
        fieldsets = [(name, {**options}) for name, options in super().get_fieldsets(request, obj)]
        if obj is None:
            # Said on the add page only: once saved, the number and address are there.
            header = fieldsets[0][1]
            header["fields"] = ["number", *header["fields"]]
            for name, options in fieldsets:
                if name == "Shipping address":
                    options["description"] = (
                        "Left blank, it is copied from the customer on first save."
                    )
        return fieldsets

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_formset in inline_formsets:
            if isinstance(inline_formset.opts, OrderItemInline):
                inline_formset.__class__ = LinesAdminFormSet
        return inline_formsets

    def get_urls(self):
        comment = path(
            "<path:object_id>/comment/",
            self.admin_site.admin_view(self.comment_view),
            name="orders_order_comment",
        )
        return [comment, *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["summary"] = self._summary(context, obj)
        if obj is not None and obj.pk:
            context["timeline"] = order_timeline(obj)
            context["status_label"] = label(obj.get_status_display(), STATUS_LABELS[obj.status])
            context["status_reason"] = self._status_reason(obj, context["timeline"])
            context["may_comment"] = request.user.has_perm("orders.comment_order")
            context["comment_form"] = CommentForm()
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _summary(self, context, obj: Order | None) -> dict:
        """The summary card's first figures (the page's script keeps them current)."""
        lines = obj.items.all() if obj is not None and obj.pk else []
        subtotal = sum((line.line_total for line in lines), start=0)
        shipping = obj.shipping_cost if obj is not None else 0
        discount = obj.discount if obj is not None else 0
        return {
            "subtotal": money(subtotal),
            "shipping": money(shipping),
            "discount": money(-discount if discount else 0),
            "total": money(subtotal + shipping - discount),
            "zero": money(0),
            # For the script, when the lines are locked (no inputs to read them from).
            "raw": {"subtotal": subtotal, "shipping": shipping, "discount": discount},
        }

    @staticmethod
    def _status_reason(order: Order, timeline: list) -> OrderEvent | None:
        """The event that made a cancelled or returned order so (its reason is shown)."""
        if order.status not in NEEDS_REASON:
            return None
        for entry in reversed(timeline):
            event = entry.event
            if event is not None and event.kind == OrderEvent.Kind.STATUS:
                return event if event.to_status == order.status else None
        return None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return super().get_queryset(request).select_related("customer")

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        by_number = order_number_query(term)
        if by_number is not None:
            return queryset.filter(by_number), False
        if "@" in term:
            return queryset.filter(customer__email__istartswith=term.lower()), False
        # The customers first (their own indexes), then their orders.
        customers = Customer.objects.filter(person_query(term))
        return queryset.filter(customer__in=customers.values("pk")), False

    def get_form(self, request: HttpRequest, obj: Order | None = None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    @display(description="Status", ordering="status")
    def display_status(self, obj: Order) -> str:
        # Rendered once per status (foundation.admin.cells), not once per row; the marker
        # lets the list's script offer row actions only where the status allows them.
        return format_html(
            '<span data-order-status="{}" data-order-pk="{}">{}</span>',
            obj.status,
            obj.pk,
            label(obj.get_status_display(), STATUS_LABELS.get(obj.status)),
        )

    @admin.display(description="Customer", ordering="customer_id")
    def display_customer(self, obj: Order) -> str:
        return customer_link(obj.customer)

    @admin.display(description="Total", ordering="total")
    def display_total(self, obj: Order) -> str:
        return money(obj.total)

    @admin.display(description="Placed", ordering="placed_at")
    def display_placed_at(self, obj: Order) -> str:
        return when(obj.placed_at)

    # Saving: through the one order-save path, which moves the stock once -------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (InsufficientStock, OrderInvalid, TransitionRefused) as error:
            # Raised under the row locks after the form's own checks passed: someone else
            # took the stock or changed the order meanwhile. Nothing of the save is kept.
            self.message_user(request, f"{error} Nothing was saved.", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: Order, form, change: bool) -> None:
        pass  # nothing is written yet: the order is saved with its lines in save_related

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        add, changed, removed = [], [], []
        for formset in formsets:  # only the lines; save(commit=False) writes nothing
            formset.save(commit=False)
            add += formset.new_objects
            changed += [line for line, _ in formset.changed_objects]
            removed += formset.deleted_objects
        order_save(
            order=form.instance,
            user=request.user,
            add=add,
            change=changed,
            remove=removed,
            expected_version=form.cleaned_data.get("read_version"),
        )

    def delete_model(self, request: HttpRequest, obj: Order) -> None:
        order_delete(order=obj, user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        with transaction.atomic():  # all of the selected orders, or none
            for order in queryset.order_by("pk"):
                order_delete(order=order, user=request.user)

    # Status transitions ----------------------------------------------------------------------

    def run_transitions(
        self, request: HttpRequest, queryset: QuerySet[Order], to_status: str, reason: str = ""
    ) -> None:
        done, refused = [], []
        for order in queryset.order_by("pk"):
            try:
                order_transition(order=order, to_status=to_status, user=request.user, reason=reason)
                done.append(order.number)
            except (TransitionRefused, OrderInvalid) as error:  # e.g. deleted meanwhile
                refused.append(str(error))
        label = OrderStatus(to_status).label
        if done:
            self.message_user(request, f"{len(done)} order(s) now {label}: {', '.join(done)}.")
        if refused:
            self.message_user(
                request,
                f"{len(refused)} order(s) refused: " + " ".join(refused),
                messages.ERROR,
            )

    def run_detail_transition(
        self, request: HttpRequest, object_id: str, to_status: str, *, back: str = "change"
    ) -> HttpResponse:
        """The dialog of a status button (GET, or a POST with errors); a valid POST moves
        the order and goes back to its page (``back="change"``) or to the list."""
        if not ascii_digits(object_id):
            raise Http404
        order = get_object_or_404(Order, pk=object_id)
        form_class = TransitionReasonForm if to_status in NEEDS_REASON else TransitionForm
        form = form_class(
            data=request.POST if request.method == "POST" else None,
            request=request,
            object_id=object_id,
        )
        allowed = (order.status, to_status) in TRANSITIONS
        # A POST from a page shown before the order moved on (another person was quicker)
        # needs no reason: the workflow refuses it below, with a message that says why.
        if request.method == "POST" and (form.is_valid() or not allowed):
            try:
                order = order_transition(
                    order=order,
                    to_status=to_status,
                    user=request.user,
                    reason=getattr(form, "cleaned_data", {}).get("reason", ""),
                )
                self.message_user(request, f"{order.number} is now {order.get_status_display()}.")
            except (TransitionRefused, OrderInvalid) as error:
                # E.g. someone else moved the order since the page was shown: say so, plainly.
                self.message_user(request, str(error), messages.ERROR)
            if back == "list":
                # Back to the list as it was (its filters and page), but only to this site.
                url = reverse("admin:orders_order_changelist")
                referer = request.headers.get("Referer", "")
                if (
                    url_has_allowed_host_and_scheme(
                        referer,
                        allowed_hosts={request.get_host()},
                        require_https=request.is_secure(),
                    )
                    and urlsplit(referer).path == url
                ):
                    url = referer
            else:
                url = reverse("admin:orders_order_change", args=[order.pk])
            if request.headers.get("HX-Request"):
                return HttpResponse(status=204, headers={"HX-Redirect": url})
            return HttpResponseRedirect(url)
        text = TRANSITION_ACTIONS[to_status][0]
        if allowed:
            description = f"{order.number}: {TRANSITION_EFFECTS[to_status]}"
            if to_status in NEEDS_REASON:
                description += " " + self._units_text(order)
        else:
            description = (
                f"{order.number} is {order.get_status_display()}: it cannot be "
                f"{'marked ' if to_status != OrderStatus.CANCELLED else ''}"
                f"{OrderStatus(to_status).label.lower()} now."
            )
        dialog = {
            "title": f"{text} {order.number}?" if allowed else f"{text}: not possible",
            "description": description,
            "back_text": DIALOG_BACK.get(to_status, "Back"),
            "form_submit_text": text,
            "allowed": allowed,
        }
        return TemplateResponse(
            request, "admin/orders/order/transition_dialog.html", {"dialog": dialog, "form": form}
        )

    @staticmethod
    def _units_text(order: Order) -> str:
        figures = order.items.aggregate(units=Sum("quantity"))
        units = figures["units"] or 0
        return f"Units going back to stock: {units}."

    @action(
        description="Mark shipped",
        url_path="row/mark-shipped",
        permissions=["mark_shipped"],
        icon="local_shipping",
    )
    def row_mark_shipped(self, request: HttpRequest, object_id: str) -> HttpResponse:
        # A dialog (GET) and its POST; offered on paid rows only (orders/order_page.js),
        # and refused for any other status by the workflow itself.
        return self.run_detail_transition(request, object_id, OrderStatus.SHIPPED, back="list")

    row_mark_shipped.dialog = {"title": "Mark shipped?", "form_submit_text": "Mark as shipped"}

    # Comments ---------------------------------------------------------------------------------

    def comment_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST only: append a staff comment to the order's timeline."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not ascii_digits(object_id):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=object_id)
        if not self.has_view_permission(request, order):
            raise PermissionDenied
        if not request.user.has_perm("orders.comment_order"):
            raise PermissionDenied
        form = CommentForm(request.POST)
        url = reverse("admin:orders_order_change", args=[order.pk]) + "#timeline"
        if not form.is_valid():
            errors = " ".join(e for errs in form.errors.values() for e in errs)
            self.message_user(request, f"No comment was added: {errors}", messages.ERROR)
            return HttpResponseRedirect(url)
        try:
            order_comment(order=order, user=request.user, text=form.cleaned_data["text"])
        except CommentRefused as refused:
            self.message_user(request, f"No comment was added: {refused}", messages.ERROR)
            return HttpResponseRedirect(url)
        self.message_user(request, f"Comment added to {order.number}.")
        return HttpResponseRedirect(url)

    def may_transition(self, request: HttpRequest, object_id, to_status: str) -> bool:
        """Show a status button only where the workflow and the role allow it.

        A POST needs the role only: if the order moved on since the page was shown (another
        person was quicker), order_transition refuses with a message that says so.
        """
        codename = TRANSITION_ACTIONS[to_status][1]
        if not request.user.has_perm(f"orders.{codename}"):
            return False
        if object_id is None:
            return True
        if not ascii_digits(object_id):
            return False
        if request.method == "POST":
            return True
        # Asked once per button: read the status once per request.
        cache = request.__dict__.setdefault("_order_status", {})
        if object_id not in cache:
            cache[object_id] = (
                Order.objects.filter(pk=object_id).values_list("status", flat=True).first()
            )
        return (cache[object_id], to_status) in TRANSITIONS

    def has_mark_paid_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.mark_paid")

    def has_mark_shipped_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.mark_shipped")

    def has_mark_delivered_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.mark_delivered")

    def has_cancel_order_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.cancel_order")

    def has_mark_returned_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.mark_returned")

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        # CSV streams straight from the database, whatever the size; XLSX streams too
        # (foundation.admin.exports), from the same query.
        if isinstance(file_format, CSV):
            if not self.has_export_permission(request):
                raise PermissionDenied
            response = StreamingHttpResponse(
                stream_order_lines_csv(queryset), content_type="text/csv; charset=utf-8"
            )
            name = self.get_export_filename(request, queryset, file_format)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return super()._do_file_export(file_format, request, queryset, export_form)

    def get_import_resource_classes(self, request: HttpRequest) -> list:
        return [OrderImportResource]

    def get_export_filename(self, request: HttpRequest, queryset, file_format) -> str:
        stamp = timezone.now().strftime("%Y-%m-%d-%H%M%S")
        return f"order-lines-{stamp}.{file_format.get_extension()}"

    def get_export_queryset(self, request: HttpRequest) -> QuerySet[OrderItem]:
        # The export has one row per line of the orders the list shows.
        orders = super().get_export_queryset(request)
        return OrderLineResource().get_queryset().filter(order__in=orders.values("pk"))


for _status in TRANSITION_ACTIONS:
    setattr(OrderAdmin, f"detail_{_status}", _detail_transition(_status))
    setattr(
        OrderAdmin,
        f"has_to_{_status}_permission",
        lambda self, request, object_id=None, _to=_status: self.may_transition(
            request, object_id, _to
        ),
    )
