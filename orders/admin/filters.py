"""Changelist filters of orders and customers."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from orders.models import Order


class ShippingCountryFilter(admin.SimpleListFilter):
    title = "country"
    parameter_name = "country"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        countries = (
            Order.objects.exclude(shipping_country="")
            .order_by("shipping_country")
            .values_list("shipping_country", flat=True)
            .distinct()
        )
        return [(code, code) for code in countries]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(shipping_country=self.value()) if self.value() else queryset


class HasOrdersFilter(admin.SimpleListFilter):
    title = "has orders"
    parameter_name = "has_orders"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(orders__isnull=False).distinct()
        if self.value() == "no":
            return queryset.filter(orders__isnull=True)
        return queryset
