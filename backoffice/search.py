"""Ctrl+K: orders, customers and products found by what staff type (Unfold's
``COMMAND["search_callback"]``).

Unfold's own model search runs every admin's search over every table (46 s for "a" at
100k orders); it stays off. This searches each kind through the predicate its list uses
(orders/search.py, the product admin's search): indexed, unordered where order would
cost a sort of every match, and at most PER_KIND rows of each kind. A kind the user may
not view is not searched at all.
"""

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from unfold.dataclasses import SearchResult

from catalog.models import Product
from foundation.display import money
from foundation.search import words
from orders.models import Customer, Order
from orders.search import order_number_query, person_query

PER_KIND = 5
# Longer input is not a record's key: a pasted paragraph is not searched.
MAX_TERM = 100


def _may_view(request: HttpRequest, model: type[Model]) -> bool:
    model_admin = admin.site._registry.get(model)
    return model_admin is not None and model_admin.has_view_or_change_permission(request)


def _orders(term: str) -> QuerySet[Order]:
    query = order_number_query(term)
    if query is None:
        return Order.objects.none()
    # Numbers are unique and indexed: ordered by number, the index gives the first rows.
    return Order.objects.filter(query).select_related("customer").order_by("-number")


def _customers(term: str) -> QuerySet[Customer]:
    if order_number_query(term) is not None and not term.isdigit():
        return Customer.objects.none()  # "ORD-000180" names an order, not a person
    # No ORDER BY: the first matches end the scan; a sort would read every match first.
    return Customer.objects.filter(person_query(term)).order_by()


def _products(request: HttpRequest, term: str) -> QuerySet[Product]:
    model_admin = admin.site._registry[Product]
    found, _ = model_admin.get_search_results(request, Product.objects.all(), term)
    return found.select_related("category").order_by()


def search_callback(request: HttpRequest, search_term: str) -> list[SearchResult]:
    """Unfold calls this with the typed term (lower-cased) on every pause in typing."""
    term = search_term.strip()
    if not term or len(term) > MAX_TERM or not words(term):
        return []
    results: list[SearchResult] = []
    if _may_view(request, Order):
        for order in _orders(term)[:PER_KIND]:
            results.append(
                SearchResult(
                    title=order.number,
                    description=f"Order · {order.get_status_display()} · {money(order.total)}"
                    f" · {order.customer.full_name or order.customer.email}",
                    link=reverse("admin:orders_order_change", args=[order.pk]),
                    icon="receipt_long",
                )
            )
    if _may_view(request, Customer):
        for customer in _customers(term)[:PER_KIND]:
            results.append(
                SearchResult(
                    title=customer.full_name or customer.email,
                    description=f"Customer · {customer.email}",
                    link=reverse("admin:orders_customer_change", args=[customer.pk]),
                    icon="person",
                )
            )
    if _may_view(request, Product):
        for product in _products(request, term)[:PER_KIND]:
            results.append(
                SearchResult(
                    title=f"{product.sku} · {product.name}",
                    description=f"Product · {money(product.price)} · {product.stock} in stock",
                    link=reverse("admin:catalog_product_change", args=[product.pk]),
                    icon="inventory_2",
                )
            )
    return results
