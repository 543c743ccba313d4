"""Products in the admin: list, filters, actions, ledger and history."""

import operator
from functools import reduce

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from unfold.contrib.filters.admin import (
    RangeDateFilter,
    RangeNumericFilter,
    RelatedDropdownFilter,
)
from unfold.decorators import action, display

from catalog.admin.filters import StockStateFilter
from catalog.admin.forms import PriceChangeForm, ProductForm, StockAdjustForm
from catalog.admin.images import ProductImageInline, save_image_formset, thumbnail_html
from catalog.admin.movements import StockMovementInline
from catalog.admin.picker import ProductPickerView
from catalog.models import (
    Category,
    Product,
    ProductImage,
    StockMovement,
    StockState,
    with_main_thumbnail,
)
from catalog.resources import ProductResource
from catalog.services import (
    InsufficientStock,
    StockOutOfRange,
    products_adjust_stock,
    products_change_price,
    products_new_prices,
    products_set_active,
    stock_adjust,
)
from foundation.admin.actions import (
    PREVIEW_LIMIT,
    Preview,
    action_with_form,
    object_action_with_form,
)
from foundation.admin.base import BackofficeAdmin
from foundation.admin.cells import boolean_icon, label
from foundation.display import money
from foundation.search import text_query, words

STOCK_LABELS = {StockState.OUT: "danger", StockState.LOW: "warning", StockState.IN: "success"}


@admin.register(Product)
class ProductAdmin(BackofficeAdmin):
    form = ProductForm
    resource_classes = [ProductResource]
    # Imports write one history row per product; an admin LogEntry per row would double that.
    skip_admin_log = True
    list_display = [
        "display_thumbnail",
        "sku",
        "name",
        "category",
        "display_price",
        "display_stock",
        "display_active",
        "updated_at",
    ]
    list_display_links = ["sku", "name"]
    search_fields = ["^sku", "name", "category__name"]
    search_help_text = "SKU (exact or its start), product name or category name."
    list_filter = [
        ("category", RelatedDropdownFilter),
        "is_active",
        StockStateFilter,
        ("price", RangeNumericFilter),
        ("updated_at", RangeDateFilter),
    ]
    list_select_related = ["category"]
    ordering = ["sku"]
    readonly_fields = ["stock", "created_at", "updated_at"]
    autocomplete_fields = ["category"]
    inlines = [ProductImageInline, StockMovementInline]
    actions = ["activate_products", "deactivate_products", "change_price", "adjust_stock"]
    actions_detail = ["adjust_stock_of_product"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return with_main_thumbnail(super().get_queryset(request).select_related("category"))

    @admin.display(description="")
    def display_thumbnail(self, obj: Product) -> str:
        return thumbnail_html(obj.main_thumbnail, obj.name, size=40)

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        # Like Django's search (every word must match a SKU start, the name or the category),
        # but categories are few: the ones any word names are read first, in one query, so
        # the products table is searched through its own indexes only.
        terms = words(search_term)
        if not terms:
            return queryset, False
        named = Q()
        for word in terms:
            named |= Q(name__icontains=word)
        categories = list(Category.objects.filter(named).values_list("pk", "name"))
        query = Q()
        for word in terms:
            alternatives = [Q(sku__istartswith=word), text_query("name", word, fulltext=True)]
            matching = [pk for pk, name in categories if word.casefold() in name.casefold()]
            if matching:
                alternatives.append(Q(category_id__in=matching))
            if connection.vendor == "mysql":
                # MySQL cannot use a FULLTEXT index inside an OR with other conditions:
                # each alternative is read through its own index, and the keys united.
                keys = set()
                for alternative in alternatives:
                    keys.update(Product.objects.filter(alternative).values_list("pk", flat=True))
                query &= Q(pk__in=keys)
            else:  # PostgreSQL combines the pattern and trigram indexes by itself
                query &= reduce(operator.or_, alternatives)
        return queryset.filter(query), False

    def get_fieldsets(self, request: HttpRequest, obj: Product | None = None):
        main = ["sku", "name", "category", "description", "is_active"]
        money = ["price", "cost"]
        stock = (
            ["low_stock_threshold", "initial_stock"]
            if obj is None
            else ["stock", "low_stock_threshold"]
        )
        fieldsets = [
            (None, {"fields": main}),
            ("Price", {"fields": money}),
            ("Stock", {"fields": stock}),
        ]
        if obj is not None:
            fieldsets.append(("Dates", {"fields": ["created_at", "updated_at"]}))
        return fieldsets

    @admin.display(description="Price", ordering="price")
    def display_price(self, obj: Product) -> str:
        return money(obj.price)

    # Labels and icons from foundation.admin.cells: each distinct one is rendered once.
    @display(description="Stock", ordering="stock")
    def display_stock(self, obj: Product) -> str:
        state = StockState(obj.stock_state)
        return label(f"{obj.stock} · {state.label}", STOCK_LABELS[state])

    @display(description="Active", ordering="is_active")
    def display_active(self, obj: Product) -> str:
        return boolean_icon(obj.is_active)

    # Actions -----------------------------------------------------------------------------

    @admin.action(description="Activate selected products", permissions=["change"])
    def activate_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        changed = products_set_active(products=queryset, active=True)
        self.message_user(request, f"{changed} product(s) activated.")

    @admin.action(description="Deactivate selected products", permissions=["change"])
    def deactivate_products(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        changed = products_set_active(products=queryset, active=False)
        self.message_user(request, f"{changed} product(s) deactivated.")

    @admin.action(description="Change price by a percentage", permissions=["change"])
    def change_price(self, request: HttpRequest, queryset: QuerySet[Product]):
        def apply(data: dict) -> None:
            try:
                changed = products_change_price(products=queryset, percent=data["percent"])
            except ValueError as refused:  # a new price out of range: nothing was changed
                self.message_user(request, str(refused), messages.ERROR)
                return
            self.message_user(
                request, f"Price changed by {data['percent']}% on {changed} product(s)."
            )

        def preview(data: dict) -> Preview:
            return price_change_preview(queryset, data["percent"])

        return action_with_form(
            self,
            request,
            queryset,
            form_class=PriceChangeForm,
            title="Change prices",
            apply=apply,
            preview=preview,
        )

    @admin.action(description="Adjust stock", permissions=["adjust_stock"])
    def adjust_stock(self, request: HttpRequest, queryset: QuerySet[Product]):
        def apply(data: dict) -> None:
            self._adjust_stock(request, list(queryset), data)

        return action_with_form(
            self, request, queryset, form_class=StockAdjustForm, title="Adjust stock", apply=apply
        )

    # The same flow from the product's own page: the decorator checks the permission on
    # GET and POST alike (403), before anything is read.
    @action(
        description="Adjust stock",
        url_path="adjust-stock",
        permissions=["adjust_stock"],
        icon="inventory_2",
    )
    def adjust_stock_of_product(self, request: HttpRequest, object_id: str) -> HttpResponse:
        product = self.get_object(request, unquote(object_id))
        if product is None:
            raise Http404
        page = reverse("admin:catalog_product_change", args=[product.pk])

        def apply(data: dict) -> HttpResponse:
            self._adjust_stock(request, [product], data)
            return HttpResponseRedirect(page)

        return object_action_with_form(
            self,
            request,
            product,
            form_class=StockAdjustForm,
            title=f"Adjust stock: {product}",
            apply=apply,
            cancel_url=page,
            intro=f"In stock now: {product.stock:,}.",
        )

    def _adjust_stock(self, request: HttpRequest, products: list[Product], data: dict) -> None:
        try:
            moves = products_adjust_stock(
                products=products,
                quantity=data["quantity"],
                reason=data["reason"],
                note=data["note"],
                user=request.user,
            )
        except InsufficientStock as error:
            self.message_user(request, f"{error} No stock was changed.", messages.ERROR)
            return
        except StockOutOfRange as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(
            request, f"Stock adjusted by {data['quantity']:+d} on {len(moves)} product(s)."
        )

    def has_import_permission(self, request: HttpRequest) -> bool:
        # An import sets stock levels (through the ledger): it needs that right as well.
        return super().has_import_permission(request) and self.has_adjust_stock_permission(request)

    def has_adjust_stock_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("catalog.adjust_stock")

    # Hooks -------------------------------------------------------------------------------

    def get_urls(self):
        picker = ProductPickerView.as_view(admin_site=self.admin_site)
        return [
            path("picker/", self.admin_site.admin_view(picker), name="catalog_product_picker"),
            *super().get_urls(),
        ]

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is ProductImage:
            save_image_formset(request, formset)
            return
        super().save_formset(request, form, formset, change)

    def save_model(self, request: HttpRequest, obj: Product, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        initial = form.cleaned_data.get("initial_stock")
        if not change and initial:
            stock_adjust(
                product=obj,
                quantity=initial,
                reason=StockMovement.Reason.INITIAL,
                user=request.user,
            )


def price_change_preview(products: QuerySet[Product], percent) -> Preview:
    """The first products' prices now and after ``percent``; three queries whatever the count.

    Only the dearest product can take a price out of range: it alone is checked for the rest.
    """
    summary = f"Prices {percent:+}%"
    shown = list(products[:PREVIEW_LIMIT])
    dearest = products.order_by("-price", "pk").first()
    try:
        products_new_prices([dearest] if dearest is not None else [], percent)
        rows = [
            (str(product), money(product.price), money(new_price))
            for product, new_price in products_new_prices(shown, percent)
        ]
    except ValueError as refused:
        return Preview(summary=summary, problem=str(refused))
    rest = max(products.count() - len(shown), 0) if len(shown) == PREVIEW_LIMIT else 0
    return Preview(summary=summary, rows=rows, rest=rest)
