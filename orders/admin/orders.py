"""Orders in the admin: list, lines, the ledger panel, history and status transitions."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
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
from catalog.admin.movements import product_link
from catalog.admin.picker import ProductPickerWidget
from catalog.models import StockMovement
from catalog.services import InsufficientStock
from foundation.admin.base import BackofficeAdmin
from foundation.admin.cells import label
from foundation.display import money, when
from orders.admin.documents import DOCUMENT_ACTIONS, DOCUMENT_DETAIL_ACTIONS, OrderDocumentsMixin
from orders.admin.filters import CustomerOrdersFilter, ShippingCountryFilter
from orders.admin.forms import OrderForm, OrderItemForm, OrderItemFormSet, ProductChoiceField
from orders.admin.links import customer_link
from orders.exporting import stream_order_lines_csv
from orders.history import attach_line_changes, order_line_changes
from orders.models import Customer, Order, OrderItem, OrderStatus, with_product_thumbnail
from orders.resources import OrderImportResource, OrderLineResource
from orders.search import order_number_query, person_query
from orders.services import (
    TRANSITIONS,
    OrderInvalid,
    TransitionRefused,
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


class OrderItemInline(TabularInline):
    model = OrderItem
    form = OrderItemForm
    formset = OrderItemFormSet
    fields = ["display_thumbnail", "product", "quantity", "unit_price", "display_line_total"]
    readonly_fields = ["display_thumbnail", "display_line_total"]
    autocomplete_fields = ["product"]
    extra = 0
    min_num = 1
    verbose_name_plural = "Lines"

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderItem]:
        return with_product_thumbnail(super().get_queryset(request).select_related("product"))

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "product":  # the picker shows picture, price and stock
            kwargs["widget"] = ProductPickerWidget(db_field, self.admin_site)
            kwargs["form_class"] = ProductChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="")
    def display_thumbnail(self, obj: OrderItem) -> str:
        return thumbnail_html(getattr(obj, "product_thumbnail", None), obj.product.name, 40)

    @admin.display(description="Line total")
    def display_line_total(self, obj: OrderItem) -> str:
        return money(obj.line_total) if obj.pk else "—"

    # Lines change only while the order is pending or paid.
    def has_add_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return super().has_add_permission(request, obj) and (obj is None or obj.lines_editable)

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.lines_editable)

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.lines_editable)


def _bulk_transition(to_status: str):
    text, codename = TRANSITION_ACTIONS[to_status]

    def run(modeladmin, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        modeladmin.run_transitions(request, queryset, to_status)

    run.__name__ = f"bulk_{to_status}"
    return admin.action(description=f"{text} (selected orders)", permissions=[codename])(run)


def _detail_transition(to_status: str):
    text, _ = TRANSITION_ACTIONS[to_status]

    def run(modeladmin, request: HttpRequest, form, object_id: str) -> HttpResponse:
        return modeladmin.run_detail_transition(request, object_id, to_status)

    run.__name__ = f"detail_{to_status}"
    return action(
        description=text,
        url_path=f"transition/{to_status}",
        permissions=[f"to_{to_status}"],
        variant=ActionVariant.DANGER
        if to_status in (OrderStatus.CANCELLED, OrderStatus.RETURNED)
        else ActionVariant.PRIMARY,
        dialog={
            "title": f"{text}?",
            "description": "The order's stock moves accordingly, and the change is recorded "
            "in its history.",
            "form_submit_text": text,
        },
    )(run)


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
    readonly_fields = [
        "number",
        "external_reference",
        "total",
        "item_count",
        "display_ledger",
        "updated_at",
    ]
    ordering = ["-placed_at", "-id"]
    show_full_result_count = False
    history_revert_allowed = False  # a revert could skip the status workflow and stock
    actions = [_bulk_transition(status) for status in TRANSITION_ACTIONS]
    actions_detail = [f"detail_{status}" for status in TRANSITION_ACTIONS]
    # Printing (orders/admin/documents.py): packing slips, invoices, pick lists.
    actions += DOCUMENT_ACTIONS
    actions_detail += DOCUMENT_DETAIL_ACTIONS

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
        (
            None,
            {
                "fields": [
                    "number",
                    "external_reference",
                    "customer",
                    "status",
                    "placed_at",
                    "notes",
                    "read_version",
                ]
            },
        ),
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
                "description": "Left blank, it is copied from the customer on first save.",
            },
        ),
        ("Money", {"fields": ["shipping_cost", "discount", "total", "item_count"]}),
        ("Stock ledger of this order", {"fields": ["display_ledger"]}),
    ]

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

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            fields.append("status")  # new orders start as pending
        return fields

    @display(description="Status", ordering="status")
    def display_status(self, obj: Order) -> str:
        # Rendered once per status (foundation.admin.cells), not once per row.
        return label(obj.get_status_display(), STATUS_LABELS.get(obj.status))

    @admin.display(description="Customer", ordering="customer_id")
    def display_customer(self, obj: Order) -> str:
        return customer_link(obj.customer)

    @admin.display(description="Total", ordering="total")
    def display_total(self, obj: Order) -> str:
        return money(obj.total)

    @admin.display(description="Placed", ordering="placed_at")
    def display_placed_at(self, obj: Order) -> str:
        return when(obj.placed_at)

    @admin.display(description="Ledger rows")
    def display_ledger(self, obj: Order) -> str:
        if obj.pk is None:
            return "—"
        rows = StockMovement.objects.filter(reference=obj.stock_reference).select_related(
            "product", "created_by"
        )
        if not rows:
            return "No stock moved by this order."
        body = format_html_join(
            "",
            # format_html escapes its arguments to text first: format numbers beforehand.
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    when(m.created_at),
                    product_link(m.product),
                    f"{m.quantity:+d}",
                    m.balance,
                    m.get_reason_display(),
                    m.created_by or "—",
                )
                for m in rows
            ),
        )
        return format_html(
            '<table class="w-full text-sm"><thead><tr><th class="text-left">When</th>'
            '<th class="text-left">SKU</th><th class="text-left">Qty</th>'
            '<th class="text-left">Balance</th><th class="text-left">Reason</th>'
            '<th class="text-left">By</th></tr></thead><tbody>{}</tbody></table>',
            body,
        )

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

    def run_transitions(self, request: HttpRequest, queryset: QuerySet[Order], to_status: str):
        done, refused = [], []
        for order in queryset.order_by("pk"):
            try:
                order_transition(order=order, to_status=to_status, user=request.user)
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

    def run_detail_transition(self, request: HttpRequest, object_id: str, to_status: str):
        order = get_object_or_404(Order, pk=object_id)
        try:
            order = order_transition(order=order, to_status=to_status, user=request.user)
            self.message_user(request, f"{order.number} is now {order.get_status_display()}.")
        except (TransitionRefused, OrderInvalid) as error:
            # E.g. someone else moved the order since the page was shown: say so, plainly.
            self.message_user(request, str(error), messages.ERROR)
        url = reverse("admin:orders_order_change", args=[order.pk])
        if request.headers.get("HX-Request"):
            return HttpResponse(status=204, headers={"HX-Redirect": url})
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
        if not str(object_id).isdigit():
            return False
        if request.method == "POST":
            return True
        status = Order.objects.filter(pk=object_id).values_list("status", flat=True).first()
        return (status, to_status) in TRANSITIONS

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
