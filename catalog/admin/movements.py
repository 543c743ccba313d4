"""The stock ledger in the admin: read-only for everybody."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateTimeFilter

from catalog.models import StockMovement
from catalog.resources import StockMovementResource
from foundation.admin.base import ExportAdmin, ReadOnlyInlineMixin


@admin.register(StockMovement)
class StockMovementAdmin(ExportAdmin):
    resource_classes = [StockMovementResource]
    list_display = [
        "created_at",
        "product",
        "display_quantity",
        "balance",
        "reason",
        "reference",
        "note",
        "created_by",
    ]
    list_filter = [("reason", ChoicesDropdownFilter), ("created_at", RangeDateTimeFilter)]
    search_fields = ["=product__sku", "^reference"]
    search_help_text = "Exact SKU, or the start of a reference (order:ORD-000042, import:…)."
    list_select_related = ["product", "created_by"]
    date_hierarchy = None
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockMovement]:
        return super().get_queryset(request).select_related("product", "created_by")

    @admin.display(description="Quantity", ordering="quantity")
    def display_quantity(self, obj: StockMovement) -> str:
        return f"{obj.quantity:+d}"

    # The ledger is append-only: only catalog.services writes it.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class StockMovementInline(ReadOnlyInlineMixin, TabularInline):
    """The product's latest ledger rows on its page."""

    model = StockMovement
    fields = ["created_at", "quantity", "balance", "reason", "reference", "note", "created_by"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    show_change_link = False
    show_title = False  # a row's own text is "+4 17 (initial)": the product's id, no link
    verbose_name_plural = "Stock ledger (latest first)"
    per_page = 10
