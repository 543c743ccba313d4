"""Forms of the order admin: the status check and the stock check of the lines."""

from collections import defaultdict
from decimal import Decimal

from django import forms

from catalog.models import Product
from catalog.services import InsufficientStock
from orders.models import HOLDS_STOCK, Order, OrderStatus
from orders.services import (
    OrderChanged,
    OrderInvalid,
    TransitionRefused,
    allowed_transitions,
    check_discount,
    check_transition,
    order_held_stock,
)


class OrderForm(forms.ModelForm):
    user = None  # set by OrderAdmin.get_form: transitions depend on the user's role
    # The version the page was opened at: a form saved after someone else changed the order
    # is refused, here and again under the row lock (orders.services.order_save).
    read_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

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
        if self.instance.pk is not None:
            self.fields["read_version"].initial = self.instance.version
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

    def _get_validation_exclusions(self) -> set[str]:
        # The customer field already found the customer among the allowed ones; the
        # model field's own check would ask the database again.
        return {*super()._get_validation_exclusions(), "customer"}

    def clean(self) -> dict:
        cleaned = super().clean()
        read = cleaned.get("read_version")
        if self.instance.pk is not None and read is not None and read != self.instance.version:
            raise forms.ValidationError(str(OrderChanged(self.instance)))
        return cleaned

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


class ProductChoiceField(forms.ModelChoiceField):
    """A line's product, looked up among the products the formset read for all its lines."""

    known: dict[str, Product] | None = None  # set per form by OrderItemFormSet

    def to_python(self, value):
        if self.known is not None and str(value) in self.known:
            self.validate_no_null_characters(value)
            return self.known[str(value)]
        return super().to_python(value)


class OrderItemForm(forms.ModelForm):
    def _get_validation_exclusions(self) -> set[str]:
        # The product field already found the product among the allowed ones; the model
        # field's own check would ask the database again, once per line.
        return {*super()._get_validation_exclusions(), "product"}


class OrderItemFormSet(forms.BaseInlineFormSet):
    """Check the lines against the stock and the money rules before anything is saved.

    This gives the staff member a form error on the lines; the save itself checks again
    under row locks (``orders.services.order_save``), for the rare race in between.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Read before the order form applies its new values to the same instance.
        self.lines_locked = self.instance.pk is not None and not self.instance.lines_editable
        self._products: dict[str, Product] | None = None

    def _posted_products(self, field: forms.ModelChoiceField) -> dict[str, Product]:
        """Every product the posted lines name, read in one query for all the lines."""
        if self._products is None:
            keys = set()
            for i in range(min(self.total_form_count(), self.absolute_max)):
                value = self.data.get(self.add_prefix(i) + "-product")
                if isinstance(value, str) and value.isdigit() and len(value) < 19:
                    keys.add(int(value))
            found = field.queryset.filter(pk__in=keys) if keys else []
            self._products = {str(product.pk): product for product in found}
        return self._products

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        field = form.fields.get("product")
        if self.is_bound and isinstance(field, ProductChoiceField):
            field.known = self._posted_products(field)
        return form

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        # The order form has applied its cleaned values (status, money) to the instance.
        order = self.instance
        if self.lines_locked:
            # A shipped (or later) order: its lines are read-only and not in the form.
            items = order.items.select_related("product")
            lines = [(item.product, item.quantity, item.unit_price) for item in items]
        else:
            self._refuse_repeated_products()
            lines = [
                (data["product"], data["quantity"] or 0, data.get("unit_price"))
                for data in (getattr(form, "cleaned_data", None) for form in self.forms)
                if data and not data.get("DELETE") and data.get("product")
            ]
        wanted: dict[int, int] = defaultdict(int)
        products: dict[int, Product] = {}
        subtotal = Decimal(0)
        for product, quantity, unit_price in lines:
            products[product.pk] = product
            wanted[product.pk] += quantity
            subtotal += (unit_price if unit_price is not None else product.price) * quantity
        problems = []
        if order.status in HOLDS_STOCK and not self.lines_locked:
            held = order_held_stock(order)
            for product in sorted(products.values(), key=lambda p: p.sku):
                available = product.stock + held.get(product.pk, 0)
                if wanted[product.pk] > available:
                    problems.append(
                        str(
                            InsufficientStock(
                                product=product, asked=wanted[product.pk], available=available
                            )
                        )
                    )
        try:
            check_discount(
                subtotal=subtotal,
                shipping=order.shipping_cost or Decimal(0),
                discount=order.discount or Decimal(0),
            )
        except OrderInvalid as error:
            problems.append(str(error))
        if problems:
            raise forms.ValidationError(problems)

    def _refuse_repeated_products(self) -> None:
        """One product, one line: two lines of it would be two prices and two stock checks."""
        lines: dict[int, list[tuple[int, forms.Form]]] = defaultdict(list)
        for number, form in enumerate(self.forms, start=1):  # numbered as the page shows them
            data = getattr(form, "cleaned_data", None)
            if data and not data.get("DELETE") and data.get("product"):
                lines[data["product"].pk].append((number, form))
        problems = []
        for repeated in (found for found in lines.values() if len(found) > 1):
            product = repeated[0][1].cleaned_data["product"]
            numbers = [str(number) for number, _ in repeated]
            named = f"{', '.join(numbers[:-1])} and {numbers[-1]}"
            problems.append(
                f"{product.sku} ({product.name}) is on lines {named}. "
                "Put it on one line with the total quantity."
            )
            for number, form in repeated:
                others = [n for n in numbers if n != str(number)]
                form.add_error("product", f"Also on line {', '.join(others)}.")
        if problems:
            raise forms.ValidationError(problems)
