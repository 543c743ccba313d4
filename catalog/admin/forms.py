"""Forms of the catalog admin: the product form and the forms actions ask for.

Fields declared here (not read from the model) get Unfold's widgets explicitly: Unfold
styles only the fields it builds from model fields, and a plain input has no border.
"""

from decimal import Decimal

from django import forms
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from catalog.models import MAX_STOCK, Product, StockMovement


class ProductForm(forms.ModelForm):
    initial_stock = forms.IntegerField(
        min_value=0,
        max_value=MAX_STOCK,
        initial=0,
        required=False,
        widget=UnfoldAdminIntegerFieldWidget,
        help_text="Units on hand now; written to the stock ledger as the initial stock.",
    )

    class Meta:
        model = Product
        fields = [
            "sku",
            "name",
            "category",
            "description",
            "is_active",
            "price",
            "cost",
            "low_stock_threshold",
        ]


class PriceChangeForm(forms.Form):
    percent = forms.DecimalField(
        label="Change by (%)",
        max_digits=6,
        decimal_places=2,
        # Decimals, not floats: the float -99.99 is a hair above Decimal("-99.99"), so the
        # limit the message names was itself refused.
        min_value=Decimal("-99.99"),
        max_value=Decimal(1000),
        widget=UnfoldAdminDecimalFieldWidget,
        help_text="10 raises prices by 10%, -15 lowers them by 15%. Rounded to cents.",
    )


MANUAL_REASONS = [
    (StockMovement.Reason.ADJUSTMENT, "Adjustment (damaged, found, correction…)"),
    (StockMovement.Reason.COUNT, "Stock count"),
]


class StockAdjustForm(forms.Form):
    quantity = forms.IntegerField(
        min_value=-MAX_STOCK,
        max_value=MAX_STOCK,
        widget=UnfoldAdminIntegerFieldWidget,
        help_text=(
            "Units to add (e.g. 5) or to remove (e.g. -2). "
            "With several products, each moves by this much."
        ),
    )
    reason = forms.ChoiceField(choices=MANUAL_REASONS, widget=UnfoldAdminSelectWidget)
    note = forms.CharField(max_length=255, required=False, widget=UnfoldAdminTextInputWidget)

    def clean_quantity(self) -> int:
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise forms.ValidationError("Enter a quantity other than 0.")
        return quantity
