"""The product picker of order lines: a search box whose results show picture, price, stock.

Django's autocomplete answers with a product's name only. This is the same view and the
same permission checks (the staff member must be allowed to edit the field it fills),
with richer results, and a widget that points at it.
"""

from django import forms
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.urls import reverse

from catalog.admin.images import thumbnail_url
from catalog.models import Product
from foundation.display import money


class ProductPickerView(AutocompleteJsonView):
    def serialize_result(self, obj: Product, to_field_name: str) -> dict:
        return {
            "id": str(getattr(obj, to_field_name)),
            "text": str(obj),
            "sku": obj.sku,
            "name": obj.name,
            "price": f"{obj.price:.2f}",
            "price_display": money(obj.price),
            "stock": obj.stock,
            "out_of_stock": obj.stock <= 0,
            "active": obj.is_active,
            "thumbnail": thumbnail_url(getattr(obj, "main_thumbnail", None)),
        }


class ProductPickerWidget(AutocompleteSelect):
    """Django's autocomplete box, asking the picker view and drawing its richer rows."""

    def get_url(self) -> str:
        return reverse(f"{self.admin_site.name}:catalog_product_picker")

    def build_attrs(self, base_attrs, extra_attrs=None) -> dict:
        attrs = super().build_attrs(base_attrs, extra_attrs=extra_attrs)
        attrs["data-product-picker"] = "1"
        return attrs

    @property
    def media(self) -> forms.Media:
        # Listed after Django's own scripts, so that the merge keeps it after autocomplete.js.
        base = super().media
        css = {**base._css, "all": [*base._css.get("all", []), "catalog/product_picker.css"]}
        return forms.Media(css=css, js=[*base._js, "catalog/product_picker.js"])
