"""A product's pictures on its page: upload (checked and written anew), describe, order."""

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from unfold.admin import TabularInline
from unfold.widgets import UnfoldAdminImageFieldWidget

from catalog.models import ProductImage
from catalog.services import (
    product_image_add,
    product_image_delete,
    product_image_prepare,
    product_image_update,
)
from foundation.images import ImageRefused


class ProductImageForm(forms.ModelForm):
    # A plain file field: Django's ImageField would decode the upload before our checks
    # (foundation.images) could refuse a decompression bomb or name what is wrong.
    image = forms.FileField(label="Picture", widget=UnfoldAdminImageFieldWidget)

    class Meta:
        model = ProductImage
        fields = ["image", "alt_text", "position"]

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        self.prepared = None
        if upload is None or upload == self.initial.get("image"):
            return upload  # unchanged: the stored picture stays
        try:
            self.prepared = product_image_prepare(upload)
        except ImageRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        return self.prepared.image


class ProductImageInline(TabularInline):
    model = ProductImage
    form = ProductImageForm
    fields = ["display_thumbnail", "image", "alt_text", "position"]
    readonly_fields = ["display_thumbnail"]
    ordering_field = "position"
    hide_ordering_field = True
    extra = 0
    verbose_name = "picture"
    verbose_name_plural = "Pictures (the first is the main one; drag to reorder)"

    @admin.display(description="")
    def display_thumbnail(self, obj: ProductImage) -> str:
        return thumbnail_html(obj.thumbnail.name, obj.alt_text) if obj.pk else ""


def thumbnail_url(name: str | None) -> str:
    """The link to a stored thumbnail ("" for none)."""
    return ProductImage._meta.get_field("thumbnail").storage.url(name) if name else ""


def thumbnail_html(name: str | None, alt: str = "", size: int = 48) -> str:
    """An <img> of a stored thumbnail (or nothing), sized for lists and lines."""
    if not name:
        return ""
    url = thumbnail_url(name)
    return format_html(
        '<img src="{}" alt="{}" width="{}" height="{}" loading="lazy" '
        'class="rounded object-contain bg-white border border-base-200">',
        url,
        alt,
        size,
        size,
    )


def save_image_formset(request: HttpRequest, formset) -> None:
    """Write the inline's changes through the catalog services (history, file cleanup)."""
    formset.save(commit=False)  # sets new_objects, changed_objects, deleted_objects
    product = formset.instance
    for image in formset.deleted_objects:
        product_image_delete(image=image, user=request.user)
    for form in formset.forms:
        if form in formset.deleted_forms or not form.has_changed():
            continue
        prepared = getattr(form, "prepared", None)
        data = form.cleaned_data
        if form.instance.pk is None:
            product_image_add(
                product=product,
                prepared=prepared,
                alt_text=data.get("alt_text", ""),
                position=data.get("position"),
                user=request.user,
            )
        else:
            product_image_update(
                image=form.instance,
                prepared=prepared,
                user=request.user,
                alt_text=data.get("alt_text", ""),
                position=data.get("position") or 0,
            )
