"""Changelist filters of the catalog."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from catalog.models import STOCK_STATE_QUERIES, StockState


class StockStateFilter(admin.SimpleListFilter):
    """Out of stock (0), low (at or below the product's threshold) or in stock."""

    title = "stock"
    parameter_name = "stock_state"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return list(StockState.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        query = STOCK_STATE_QUERIES.get(self.value())
        return queryset.filter(query) if query is not None else queryset
