"""Categories in the admin, with their product counts."""

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from catalog.models import Category
from catalog.resources import CategoryResource
from foundation.admin.base import BackofficeAdmin


@admin.register(Category)
class CategoryAdmin(BackofficeAdmin):
    resource_classes = [CategoryResource]
    list_display = ["name", "slug", "parent", "display_products"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        # A GROUP BY drops the model's ordering: without it the product form's category
        # picker (autocomplete, through this queryset) listed categories in no order.
        counted = super().get_queryset(request).annotate(product_count=Count("products"))
        return counted.order_by(*Category._meta.ordering)

    @admin.display(description="Products", ordering="product_count")
    def display_products(self, obj: Category) -> int:
        return obj.product_count
