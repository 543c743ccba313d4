"""Changelist filters of orders and customers."""

from django.contrib import admin
from django.core.cache import cache
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest

from foundation.text import ascii_digits
from orders.models import Customer, Order

COUNTRIES_CACHE_SECONDS = 600


def known_countries() -> list[str]:
    """Countries customers live in; cached, since a DISTINCT reads a whole large table."""
    return cache.get_or_set(
        "orders:known-countries",
        lambda: list(
            Customer.objects.exclude(country="")
            .order_by("country")
            .values_list("country", flat=True)
            .distinct()
        ),
        COUNTRIES_CACHE_SECONDS,
    )


class ShippingCountryFilter(admin.SimpleListFilter):
    title = "country"
    parameter_name = "country"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [(code, code) for code in known_countries()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(shipping_country=self.value()) if self.value() else queryset


class CustomerCountryFilter(ShippingCountryFilter):
    parameter_name = "country__exact"

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(country=self.value()) if self.value() else queryset


class HasOrdersFilter(admin.SimpleListFilter):
    title = "has orders"
    parameter_name = "has_orders"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        has_orders = Exists(Order.objects.filter(customer=OuterRef("pk")))
        if self.value() == "yes":
            return queryset.filter(has_orders)
        if self.value() == "no":
            return queryset.filter(~has_orders)
        return queryset


class CustomerOrdersFilter(admin.SimpleListFilter):
    """One customer's orders (``?customer=<id>``, the link on the customer's page). Shown
    in the filter panel only while it is applied, as the customer's name."""

    title = "customer"
    parameter_name = "customer"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        value = self.value()
        if not (value and ascii_digits(value)):
            return []
        customer = Customer.objects.filter(pk=value).first()
        return [(value, customer.full_name or customer.email)] if customer else []

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        if not ascii_digits(value):
            return queryset.none()
        return queryset.filter(customer_id=int(value))
