"""CSV/XLSX formats of the catalog (docs/csv-formats.md).

Usable from the admin and from ``manage.py import catalog.resources.ProductResource FILE``
and ``manage.py export CSV catalog.resources.ProductResource``.
"""

import logging
import secrets

import psycopg
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from import_export import fields, widgets
from import_export.instance_loaders import ModelInstanceLoader
from import_export.results import RowResult

from catalog.importing import ImportConflict, duplicate_sku_message, import_products
from catalog.models import (
    MAX_PRICE,
    MAX_STOCK,
    Category,
    Product,
    ProductImage,
    StockMovement,
    sku_key,
    sku_problem,
    with_main_picture,
)
from catalog.services import stock_set_bulk
from foundation.resources import (
    BatchInstanceLoader,
    BooleanWidget,
    CountWidget,
    DecimalWidget,
    SlugForeignKeyWidget,
    StrictModelResource,
    TextWidget,
    preview_text,
)

logger = logging.getLogger(__name__)


def new_import_reference() -> str:
    """Return a reference shared by every ledger row of one import."""
    return f"import:{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


class CategoryResource(StrictModelResource):
    slug = fields.Field("slug", "slug", TextWidget(max_length=120, required=True))
    name = fields.Field("name", "name", TextWidget(max_length=120, required=True))
    parent = fields.Field("parent", "parent", SlugForeignKeyWidget(Category, required=False))

    required_columns = ("slug", "name")

    def after_save_instance(self, instance, row, **kwargs) -> None:
        # A later row of the same file may name this category as its parent.
        widget = self.fields["parent"].widget
        if widget._cache is not None:
            widget._cache[instance.slug] = instance

    class Meta:
        model = Category
        fields = ("slug", "name", "parent")
        import_id_fields = ("slug",)
        instance_loader_class = BatchInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True


class SkuWidget(TextWidget):
    """A SKU: text, and only the characters SKUs may have (catalog.models.sku_problem)."""

    def clean(self, value, row=None, **kwargs) -> str:
        sku = super().clean(value, row, **kwargs)
        if sku and (problem := sku_problem(sku)) is not None:
            raise ValueError(problem)
        return sku


class SkuInstanceLoader(ModelInstanceLoader):
    """Find the product of a row by its SKU, ignoring case (catalog.models.sku_key)."""

    def get_instance(self, row):
        sku = self.resource.fields["sku"].clean(row)
        return self.get_queryset().filter(sku__iexact=sku).first()


class ProductRowResource(StrictModelResource):
    """Products, imported row by row through django-import-export's own loop.

    The reference for ``ProductResource``, which applies the same rules in bulk.
    """

    sku = fields.Field("sku", "sku", SkuWidget(max_length=64, required=True))
    name = fields.Field("name", "name", TextWidget(max_length=200, required=True))
    category = fields.Field("category", "category", SlugForeignKeyWidget(Category))
    price = fields.Field("price", "price", DecimalWidget(max_value=MAX_PRICE))
    # Read from the counter on export; on import it is the wanted level, applied through
    # the ledger after the rows are saved (see import_field and after_import).
    stock = fields.Field("stock", "stock", CountWidget(max_value=MAX_STOCK))
    is_active = fields.Field("is_active", "is_active", BooleanWidget())
    description = fields.Field("description", "description", TextWidget())
    cost = fields.Field("cost", "cost", DecimalWidget(required=False, max_value=MAX_PRICE))
    low_stock_threshold = fields.Field(
        "low_stock_threshold", "low_stock_threshold", CountWidget(max_value=1_000_000)
    )
    # Export only: the main picture's link. A file that carries it imports unchanged.
    image_url = fields.Field(column_name="image_url", readonly=True)

    required_columns = ("sku", "name", "category", "price", "stock", "is_active")

    class Meta:
        model = Product
        fields = (
            "sku",
            "name",
            "category",
            "price",
            "stock",
            "is_active",
            "description",
            "cost",
            "low_stock_threshold",
            "image_url",
        )
        import_id_fields = ("sku",)
        instance_loader_class = SkuInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def get_queryset(self):
        products = Product.objects.select_related("category").order_by("sku")
        return with_main_picture(products)

    def dehydrate_image_url(self, product: Product) -> str:
        name = getattr(product, "main_picture", None)
        return ProductImage._meta.get_field("image").storage.url(name) if name else ""

    def import_key(self, values: list) -> tuple:
        return (sku_key(str(values[0])),)

    def preview_value(self, field, instance) -> str:
        if field.attribute == "stock":
            # The stock the file wants against the counter now: a reset shows as 60 → 65.
            wanted = getattr(instance, "wanted_stock", None)
            return preview_text(instance.stock if wanted is None else wanted)
        return super().preview_value(field, instance)

    def duplicate_message(self, key: str, first_row: int, first_key: str) -> str:
        return duplicate_sku_message(key, first_row, first_key)

    def before_import(self, dataset, **kwargs) -> None:
        super().before_import(dataset, **kwargs)
        self.reference = new_import_reference()
        self.stock_levels: dict[int, int] = {}
        self.stock_only: set[int] = set()
        self.user = kwargs.get("user")

    def import_field(self, field, instance, row, is_m2m=False, **kwargs) -> None:
        if field.attribute == "sku" and instance.pk is not None:
            return  # found ignoring case: the stored spelling stays
        if field.attribute == "stock":
            if field.column_name in row:
                instance.wanted_stock = field.clean(row, **kwargs)
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        unchanged = super().skip_row(instance, original, row, import_validation_errors)
        wanted = getattr(instance, "wanted_stock", None)
        if wanted is None or wanted == instance.stock:
            return unchanged
        if unchanged and instance.pk:
            # Only the stock changes: a ledger row, but no save and no empty history row.
            self.stock_levels[instance.pk] = wanted
            self.stock_only.add(instance.pk)
            return True
        return False

    def after_import_row(self, row, row_result, **kwargs) -> None:
        if row_result.import_type == RowResult.IMPORT_TYPE_SKIP and (
            row_result.object_id in self.stock_only
        ):
            row_result.import_type = RowResult.IMPORT_TYPE_UPDATE

    def before_save_instance(self, instance, row, **kwargs) -> None:
        if self.user is not None and self.user.is_authenticated:
            instance._history_user = self.user
        instance._change_reason = self.reference

    def after_save_instance(self, instance, row, **kwargs) -> None:
        wanted = getattr(instance, "wanted_stock", None)
        if wanted is not None and wanted != instance.stock:
            self.stock_levels[instance.pk] = wanted

    def after_import(self, dataset, result, **kwargs) -> None:
        if self.stock_levels and not result.has_errors() and not result.has_validation_errors():
            user = self.user if self.user is not None and self.user.is_authenticated else None
            stock_set_bulk(
                levels=self.stock_levels,
                reason=StockMovement.Reason.IMPORT,
                reference=self.reference,
                user=user,
            )


class ProductResource(ProductRowResource):
    """Products by SKU (docs/csv-formats.md, "Products"): checked row by row, written in bulk."""

    def row_limit(self) -> int:
        return settings.IMPORT_MAX_ROWS

    def import_data_inner(
        self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
    ):
        result = self.get_result_class()()
        result.diff_headers = self.get_diff_headers()
        result.total_rows = len(dataset)
        try:
            self.before_import(dataset, **kwargs)
        except Exception as error:  # a problem of the whole file: reported, nothing written
            self.handle_import_error(result, error, raise_errors)
            return result
        try:
            with transaction.atomic():
                return import_products(
                    self,
                    dataset,
                    result,
                    user=kwargs.get("user"),
                    preview_state=kwargs.get("preview_state"),
                    dry_run=dry_run,
                )
        except ImportConflict as error:
            result.append_base_error(self.get_error_result_class()(error))
            return result
        except (DatabaseError, psycopg.Error):
            # A SKU created or a category deleted by someone else since the rows were checked
            # (the database's own words, with its internals, go to the log, not to staff).
            logger.warning("Product import refused by the database", exc_info=True)
            result.append_base_error(
                self.get_error_result_class()(
                    ValueError(
                        "Someone else created or changed some of these products or their "
                        "categories while the file was being imported. Nothing was saved; "
                        "import the file again."
                    )
                )
            )
            return result


class StockMovementResource(StrictModelResource):
    """Export only: the stock ledger, by SKU, formula-escaped."""

    created_at = fields.Field("created_at", "created_at", widgets.DateTimeWidget(), readonly=True)
    sku = fields.Field("product__sku", "sku", readonly=True)
    product_name = fields.Field("product__name", "product_name", readonly=True)
    # Numbers stay numbers (a spreadsheet sums them); only text cells are formula-escaped.
    quantity = fields.Field("quantity", "quantity", widgets.IntegerWidget(), readonly=True)
    balance = fields.Field("balance", "balance", widgets.IntegerWidget(), readonly=True)
    reason = fields.Field("reason", "reason", readonly=True)
    reference = fields.Field("reference", "reference", readonly=True)
    note = fields.Field("note", "note", readonly=True)
    created_by = fields.Field("created_by__username", "created_by", readonly=True)

    class Meta:
        model = StockMovement
        fields = (
            "created_at",
            "sku",
            "product_name",
            "quantity",
            "balance",
            "reason",
            "reference",
            "note",
            "created_by",
        )
        export_order = fields

    def get_queryset(self):
        return StockMovement.objects.select_related("product", "created_by").order_by(
            "-created_at", "-id"
        )
