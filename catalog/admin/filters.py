"""Changelist filters of the catalog."""

from django.contrib import admin
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest

from catalog.models import StockState

STOCK_STATE_QUERIES = {
    StockState.OUT: Q(stock__lte=0),
    StockState.LOW: Q(stock__gt=0, stock__lte=F("low_stock_threshold")),
    StockState.IN: Q(stock__gt=F("low_stock_threshold")),
}


class StockStateFilter(admin.SimpleListFilter):
    """Out of stock (0), low (at or below the product's threshold) or in stock."""

    title = "stock"
    parameter_name = "stock_state"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return list(StockState.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        query = STOCK_STATE_QUERIES.get(self.value())
        return queryset.filter(query) if query is not None else queryset
