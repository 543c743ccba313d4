"""The stock ledger in the admin: read-only for everybody."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import ChoicesDropdownFilter, RangeDateTimeFilter

from catalog.models import Product, StockMovement
from catalog.resources import StockMovementResource
from foundation.admin.base import ExportAdmin, ReadOnlyInlineMixin
from foundation.display import when
from foundation.links import record_link, reference_link


@admin.register(StockMovement)
class StockMovementAdmin(ExportAdmin):
    resource_classes = [StockMovementResource]
    list_display = [
        "display_created_at",
        "display_product",
        "display_quantity",
        "balance",
        "reason",
        "display_reference",
        "note",
        "created_by",
    ]
    list_display_links = ["display_created_at"]
    # The page of one movement shows the same columns: the product and the reference lead
    # to their records.
    fields = list_display
    readonly_fields = fields
    list_filter = [("reason", ChoicesDropdownFilter), ("created_at", RangeDateTimeFilter)]
    search_fields = ["=product__sku", "^reference"]
    search_help_text = "Exact SKU, an order number, or the start of a reference (import:…)."
    list_select_related = ["product", "created_by"]
    date_hierarchy = None
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockMovement]:
        return super().get_queryset(request).select_related("product", "created_by")

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term and ":" not in term and not any(c.isspace() for c in term):
            # Staff type the order number they see (ORD-000042); the ledger's reference
            # for it is order:ORD-000042. A prefix, so the reference index serves it.
            found = found | queryset.filter(reference__istartswith=f"order:{term}")
        return found, may_have_duplicates

    def get_list_display(self, request: HttpRequest) -> list:
        # A reference leads to its record for those who may open it; plain text otherwise.
        columns = list(super().get_list_display(request))
        columns[columns.index("display_reference")] = reference_column(request.user)
        return columns

    @admin.display(description="When", ordering="created_at")
    def display_created_at(self, obj: StockMovement) -> str:
        return when(obj.created_at)

    @admin.display(description="Product", ordering="product__sku")
    def display_product(self, obj: StockMovement) -> str:
        return product_link(obj.product)

    @admin.display(description="Quantity", ordering="quantity")
    def display_quantity(self, obj: StockMovement) -> str:
        return f"{obj.quantity:+d}"

    @admin.display(description="Reference")
    def display_reference(self, obj: StockMovement) -> str:
        return reference_link(obj.reference)

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
    fields = [
        "display_created_at",
        "quantity",
        "balance",
        "reason",
        "display_reference",
        "note",
        "created_by",
    ]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    show_change_link = False
    show_title = False  # the product is the page's own: a row's title would repeat it
    verbose_name_plural = "Stock ledger (latest first)"
    per_page = 10

    @admin.display(description="When")
    def display_created_at(self, obj: StockMovement) -> str:
        return when(obj.created_at)

    @admin.display(description="Reference")
    def display_reference(self, obj: StockMovement) -> str:
        return reference_link(obj.reference)


def product_link(product: Product) -> str:
    return record_link(reverse("admin:catalog_product_change", args=[product.pk]), product.sku)


def reference_column(user):
    """The reference column of the ledger list, linked as far as ``user`` may follow."""

    def display_reference(obj: StockMovement) -> str:
        return reference_link(obj.reference, user)

    return admin.display(description="Reference", ordering="reference")(display_reference)
