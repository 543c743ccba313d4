"""Customers in the admin, with their order figures and orders."""

from django.contrib import admin
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import HttpRequest
from unfold.admin import TabularInline

from backoffice.admin.base import BackofficeAdmin
from orders.admin.filters import HasOrdersFilter
from orders.models import HOLDS_STOCK, Customer, Order
from orders.resources import CustomerResource


class CustomerOrderInline(TabularInline):
    """The customer's orders, read-only, newest first."""

    model = Order
    fields = ["number", "status", "item_count", "total", "placed_at"]
    readonly_fields = fields
    ordering = ["-placed_at", "-id"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    per_page = 10
    verbose_name_plural = "Orders"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(BackofficeAdmin):
    resource_classes = [CustomerResource]
    list_display = [
        "display_name",
        "email",
        "country",
        "display_orders",
        "display_spent",
        "display_last_order",
    ]
    list_display_links = ["display_name", "email"]
    search_fields = ["^email", "first_name", "last_name", "phone"]
    search_help_text = "Email (or its start), first or last name, phone."
    list_filter = ["country", HasOrdersFilter]
    ordering = ["last_name", "first_name"]
    inlines = [CustomerOrderInline]
    readonly_fields = ["created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        # Spent counts orders that hold their goods: not cancelled, not returned.
        return (
            super()
            .get_queryset(request)
            .annotate(
                order_count=Count("orders"),
                spent=Sum("orders__total", filter=Q(orders__status__in=HOLDS_STOCK)),
                last_order=Max("orders__placed_at"),
            )
        )

    @admin.display(description="Name", ordering="last_name")
    def display_name(self, obj: Customer) -> str:
        return obj.full_name

    @admin.display(description="Orders", ordering="order_count")
    def display_orders(self, obj: Customer) -> int:
        return obj.order_count

    @admin.display(description="Total spent", ordering="spent")
    def display_spent(self, obj: Customer) -> str:
        return f"{obj.spent:.2f}" if obj.spent is not None else "0.00"

    @admin.display(description="Last order", ordering="last_order")
    def display_last_order(self, obj: Customer):
        return obj.last_order or "—"
