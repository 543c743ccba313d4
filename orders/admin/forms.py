"""Forms of the order admin: the order, the stock check of its lines, the status dialogs
and the comment box."""

from collections import defaultdict
from decimal import Decimal

from django import forms
from unfold.forms import BaseDialogForm
from unfold.widgets import UnfoldAdminTextareaWidget

from catalog.admin.picker import ProductPickerWidget
from catalog.models import Product
from catalog.services import InsufficientStock
from foundation.text import ascii_digits
from orders.models import HOLDS_STOCK, Order
from orders.services import (
    MAX_COMMENT,
    OrderChanged,
    OrderInvalid,
    check_discount,
    order_held_stock,
)


class OrderForm(forms.ModelForm):
    """The order's own fields. Its status is not one of them: it changes only through the
    status buttons (``OrderAdmin.actions_detail``), and a new order starts as pending."""

    user = None  # set by OrderAdmin.get_form
    # The version the page was opened at: a form saved after someone else changed the order
    # is refused, here and again under the row lock (orders.services.order_save).
    read_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Order
        fields = [
            "customer",
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


class ProductChoiceField(forms.ModelChoiceField):
    """A line's product, looked up among the products the formset read for all its lines."""

    known: dict[str, Product] | None = None  # set per form by OrderItemFormSet

    def to_python(self, value):
        if self.known is not None and str(value) in self.known:
            self.validate_no_null_characters(value)
            return self.known[str(value)]
        return super().to_python(value)


class LineProductWidget(ProductPickerWidget):
    """The picker of a line, drawing its chosen product from the products the formset read
    for all its lines (``ProductChoiceField.known``), not with a query per line."""

    def optgroups(self, name, value, attr=None):
        field = self.choices.field
        selected = {str(v) for v in value if str(v) not in field.empty_values}
        known = getattr(field, "known", None)
        if known is None:
            return super().optgroups(name, value, attr)
        # A posted key that names no product ("abc", "²") is the field's error; looking it
        # up again here, as Django's autocomplete does, would fail with a 500.
        selected &= known.keys()
        options = [
            self.create_option(
                name, known[key].pk, field.label_from_instance(known[key]), selected, i
            )
            for i, key in enumerate(sorted(selected))
        ]
        return [(None, options, 0)]


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
                if isinstance(value, str) and ascii_digits(value) and len(value) < 19:
                    keys.add(int(value))
            found = field.queryset.filter(pk__in=keys) if keys else []
            self._products = {str(product.pk): product for product in found}
        return self._products

    def _saved_products(self) -> dict[str, Product]:
        """The products of the saved lines, as the inline's query read them (joined)."""
        if self._products is None:
            lines = self.get_queryset() if self.instance.pk is not None else []
            self._products = {str(line.product_id): line.product for line in lines}
        return self._products

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        field = form.fields.get("product")
        if isinstance(field, ProductChoiceField):
            field.known = self._posted_products(field) if self.is_bound else self._saved_products()
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


class TransitionForm(BaseDialogForm):
    """A status button's dialog: a confirmation."""


class TransitionReasonForm(BaseDialogForm):
    """Cancel and return: the dialog asks why; the reason goes on the order's timeline."""

    reason = forms.CharField(
        max_length=1000,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text="Shown on the order's page and in its timeline.",
        error_messages={"required": "Say why, for the order's timeline."},
    )

    def __init__(self, *args, request=None, object_id=None, **kwargs) -> None:
        # Also the intermediate form of the list's bulk action (no request there).
        super().__init__(request, object_id, *args, **kwargs)
        if request is None:
            del self.fields["_form_submitted"]

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why, for the order's timeline.")
        return reason


class CommentForm(forms.Form):
    text = forms.CharField(
        label="Comment",
        max_length=MAX_COMMENT,
        widget=UnfoldAdminTextareaWidget(
            attrs={"rows": 2, "placeholder": "Add a comment for the team…"}
        ),
    )
