"""Customers in the admin, with their order figures and orders."""

from django.contrib import admin
from django.db.models import Count, DecimalField, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from unfold.admin import TabularInline

from foundation.admin.base import BackofficeAdmin, ReadOnlyInlineMixin
from foundation.display import money, when
from foundation.links import record_link
from orders.admin.filters import CustomerCountryFilter, HasOrdersFilter
from orders.admin.links import customer_orders_url
from orders.models import HOLDS_STOCK, Customer, Order
from orders.resources import CustomerResource
from orders.search import person_query


class CustomerOrderInline(ReadOnlyInlineMixin, TabularInline):
    """The customer's orders, read-only, newest first."""

    model = Order
    fields = ["display_number", "status", "item_count", "display_total", "display_placed_at"]
    readonly_fields = fields
    ordering = ["-placed_at", "-id"]
    # The number itself links to the order: no caption repeating it above each row.
    show_title = False
    per_page = 10
    verbose_name_plural = "Orders"

    @admin.display(description="Number")
    def display_number(self, obj: Order) -> str:
        return record_link(reverse("admin:orders_order_change", args=[obj.pk]), obj.number)

    @admin.display(description="Total")
    def display_total(self, obj: Order) -> str:
        return money(obj.total)

    @admin.display(description="Placed")
    def display_placed_at(self, obj: Order) -> str:
        return when(obj.placed_at)


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
    list_filter = [CustomerCountryFilter, HasOrdersFilter]
    ordering = ["last_name", "first_name", "id"]
    inlines = [CustomerOrderInline]
    readonly_fields = ["display_order_list", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        # Correlated subqueries are computed for the shown page only, through the
        # (customer, placed_at) index; a JOIN + GROUP BY would aggregate every order.
        orders = Order.objects.filter(customer=OuterRef("pk")).order_by()
        count = orders.values("customer").annotate(n=Count("pk")).values("n")
        # Spent counts orders that hold their goods: not cancelled, not returned.
        spent = (
            orders.filter(status__in=HOLDS_STOCK)
            .values("customer")
            .annotate(s=Sum("total"))
            .values("s")
        )
        last = orders.order_by("-placed_at").values("placed_at")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(
                order_count=Coalesce(Subquery(count, output_field=IntegerField()), 0),
                spent=Subquery(spent, output_field=DecimalField()),
                last_order=Subquery(last),
            )
        )

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        if any(char.isdigit() for char in term) and "@" not in term:
            return queryset.filter(phone__icontains=term), False
        return queryset.filter(person_query(term)), False

    @admin.display(description="Name", ordering="last_name")
    def display_name(self, obj: Customer) -> str:
        return obj.full_name

    @admin.display(description="Orders", ordering="order_count")
    def display_orders(self, obj: Customer) -> str:
        if not obj.order_count:
            return "0"
        return record_link(customer_orders_url(obj.pk), obj.order_count)

    @admin.display(description="All orders")
    def display_order_list(self, obj: Customer) -> str:
        if obj.pk is None:
            return "—"
        return record_link(
            customer_orders_url(obj.pk), "Open this customer's orders in the order list"
        )

    @admin.display(description="Total spent", ordering="spent")
    def display_spent(self, obj: Customer) -> str:
        return money(obj.spent or 0)

    @admin.display(description="Last order", ordering="last_order")
    def display_last_order(self, obj: Customer) -> str:
        return when(obj.last_order)
