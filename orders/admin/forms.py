"""Forms of the order admin: the status check and the stock check of the lines."""

from collections import defaultdict
from decimal import Decimal

from django import forms
from django.db.models import Sum

from catalog.models import Product, StockMovement
from orders.models import HOLDS_STOCK, Order, OrderStatus
from orders.services import TransitionRefused, allowed_transitions, check_transition


class OrderForm(forms.ModelForm):
    user = None  # set by OrderAdmin.get_form: transitions depend on the user's role

    class Meta:
        model = Order
        fields = [
            "customer",
            "status",
            "shipping_name",
            "shipping_street",
            "shipping_city",
            "shipping_postal_code",
            "shipping_country",
            "shipping_cost",
            "discount",
            "notes",
            "placed_at",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields.get("status")
        if status is not None and self.instance.pk is not None and self.user is not None:
            # Offer only what this user may do next; clean_status checks again on POST.
            allowed = {self.instance.status, *allowed_transitions(self.instance, self.user)}
            status.choices = [c for c in OrderStatus.choices if c[0] in allowed]
            labels = ", ".join(label for _, label in status.choices)
            status.error_messages["invalid_choice"] = (
                f"{self.instance.number}: from {self.instance.get_status_display()} this "
                f"order can only be set to: {labels}."
            )

    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        if self.instance.pk is None:
            if status != OrderStatus.PENDING:
                raise forms.ValidationError("A new order starts as Pending.")
            return status
        if status != self.instance.status:
            try:
                check_transition(order=self.instance, to_status=status, user=self.user)
            except TransitionRefused as refused:
                raise forms.ValidationError(str(refused)) from None
        return status


class OrderItemFormSet(forms.BaseInlineFormSet):
    """Check the lines against the stock before anything is saved.

    This gives the staff member a form error on the line; the save itself checks again
    under row locks (catalog.services.stock_adjust), for the rare race in between.
    """

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or (self.instance.pk and not self.instance.lines_editable):
            # Lines of a shipped (or later) order are read-only: nothing here can change.
            return
        lines = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("product"):
                continue
            product = data["product"]
            lines.append(
                (getattr(product, "pk", product), data["quantity"] or 0, data.get("unit_price"))
            )
        products = Product.objects.in_bulk([pk for pk, _, _ in lines])
        wanted: dict[int, int] = defaultdict(int)
        subtotal = Decimal(0)
        for pk, quantity, unit_price in lines:
            wanted[pk] += quantity
            subtotal += (unit_price if unit_price is not None else products[pk].price) * quantity
        status = self.data.get("status") or self.instance.status
        if status not in HOLDS_STOCK or not wanted:
            self._check_discount(subtotal)
            return
        held = self._held_by_this_order()
        problems = []
        for product in sorted((products[pk] for pk in wanted), key=lambda p: p.sku):
            available = product.stock + held.get(product.pk, 0)
            if wanted[product.pk] > available:
                problems.append(
                    f"Not enough stock for {product.sku} ({product.name}): "
                    f"asked {wanted[product.pk]}, available {available}."
                )
        if problems:
            raise forms.ValidationError(problems)
        self._check_discount(subtotal)

    def _held_by_this_order(self) -> dict[int, int]:
        if self.instance.pk is None:
            return {}
        rows = (
            StockMovement.objects.filter(reference=self.instance.stock_reference)
            .values("product_id")
            .annotate(moved=Sum("quantity"))
            .values_list("product_id", "moved")
        )
        return {product_id: -moved for product_id, moved in rows}

    def _check_discount(self, subtotal: Decimal) -> None:
        try:
            shipping = Decimal(self.data.get("shipping_cost") or 0)
            discount = Decimal(self.data.get("discount") or 0)
        except ArithmeticError:
            return  # the order form reports the bad number itself
        if discount > subtotal + shipping:
            raise forms.ValidationError(
                f"The discount ({discount}) is larger than lines plus shipping "
                f"({subtotal + shipping})."
            )
