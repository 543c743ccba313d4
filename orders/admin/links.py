"""Links to orders from anywhere a reference names one (``order:ORD-000180``)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import reverse

from foundation.links import record_link, register_reference
from orders.models import Customer, Order


def order_by_number(request: HttpRequest, number: str) -> HttpResponseRedirect:
    """Open the order numbered ``number``: references carry the number, not the id, so a
    link needs no query while a page of ledger rows is drawn; the one query is here."""
    if not admin.site._registry[Order].has_view_or_change_permission(request):
        raise PermissionDenied
    pk = Order.objects.filter(number=number).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404("No order has this number.")
    return HttpResponseRedirect(reverse("admin:orders_order_change", args=[pk]))


def order_url(number: str) -> str:
    return reverse("orders_order_by_number", args=[number])


def customer_orders_url(customer_pk: int) -> str:
    """The order list filtered to one customer's orders."""
    return f"{reverse('admin:orders_order_changelist')}?customer={customer_pk}"


def customer_link(customer: Customer) -> str:
    return record_link(
        reverse("admin:orders_customer_change", args=[customer.pk]),
        customer.full_name or customer.email,
    )


register_reference("order", order_url, permission="orders.view_order")
