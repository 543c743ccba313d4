"""CSV/XLSX formats of customers and order lines (docs/csv-formats.md)."""

import secrets
from datetime import UTC
from decimal import Decimal

import psycopg
from django.db import DatabaseError
from django.utils import timezone
from import_export import fields, widgets

from foundation.resources import (
    BatchInstanceLoader,
    CountWidget,
    DecimalWidget,
    StrictModelResource,
    TextWidget,
)
from orders.exporting import HEADER, order_line_cells
from orders.importing import import_orders
from orders.models import MAX_MONEY, Customer, Order, OrderItem


class EmailWidget(TextWidget):
    def clean(self, value, row=None, **kwargs) -> str:
        email = super().clean(value, row, **kwargs).lower()
        if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
            raise ValueError(f"'{email[:60]}' is not an email address.")
        return email


class CountryWidget(TextWidget):
    def clean(self, value, row=None, **kwargs) -> str:
        code = super().clean(value, row, **kwargs).upper()
        if code and (len(code) != 2 or not code.isalpha()):
            raise ValueError(f"'{code[:20]}' is not a two-letter country code (e.g. DE).")
        return code


class CustomerResource(StrictModelResource):
    email = fields.Field("email", "email", EmailWidget(max_length=254, required=True))
    first_name = fields.Field("first_name", "first_name", TextWidget(max_length=100, required=True))
    last_name = fields.Field("last_name", "last_name", TextWidget(max_length=100, required=True))
    phone = fields.Field("phone", "phone", TextWidget(max_length=40))
    street = fields.Field("street", "street", TextWidget(max_length=200))
    city = fields.Field("city", "city", TextWidget(max_length=100))
    postal_code = fields.Field("postal_code", "postal_code", TextWidget(max_length=20))
    country = fields.Field("country", "country", CountryWidget())
    notes = fields.Field("notes", "notes", TextWidget())

    required_columns = ("email", "first_name", "last_name")

    class Meta:
        model = Customer
        fields = (
            "email",
            "first_name",
            "last_name",
            "phone",
            "street",
            "city",
            "postal_code",
            "country",
            "notes",
        )
        import_id_fields = ("email",)
        instance_loader_class = BatchInstanceLoader
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def get_queryset(self):
        return Customer.objects.order_by("email")

    def before_save_instance(self, instance, row, **kwargs) -> None:
        user = kwargs.get("user")
        if user is not None and user.is_authenticated:
            instance._history_user = user


class OrderLineResource(StrictModelResource):
    """Export only: one row per order line, with its order's figures."""

    order_number = fields.Field("order__number", "order_number", readonly=True)
    status = fields.Field("order__status", "status", readonly=True)
    placed_at = fields.Field(column_name="placed_at", readonly=True)  # UTC, like the CSV stream
    customer_email = fields.Field("order__customer__email", "customer_email", readonly=True)
    customer_name = fields.Field(column_name="customer_name", readonly=True)
    sku = fields.Field("product__sku", "sku", readonly=True)
    product_name = fields.Field("product__name", "product_name", readonly=True)
    # Numbers stay numbers in XLSX; only text cells are formula-escaped.
    quantity = fields.Field("quantity", "quantity", widgets.IntegerWidget(), readonly=True)
    unit_price = fields.Field("unit_price", "unit_price", widgets.DecimalWidget(), readonly=True)
    line_total = fields.Field(
        column_name="line_total", widget=widgets.DecimalWidget(), readonly=True
    )
    order_total = fields.Field(
        "order__total", "order_total", widgets.DecimalWidget(), readonly=True
    )

    class Meta:
        model = OrderItem
        # The same columns, in the same order, as the streamed CSV (orders.exporting).
        fields = tuple(HEADER)
        export_order = fields

    def get_queryset(self):
        # Newest orders first, by id: the order they were placed in, straight from an index
        # (a sort by date would hold back a streamed export until all rows are sorted).
        return OrderItem.objects.select_related("order__customer", "product").order_by(
            "-order_id", "id"
        )

    def export_rows(self, queryset=None, *, export_fields=None):
        # Millions of lines: read as plain rows (a COPY on PostgreSQL), not as instances.
        self.before_export(queryset, force_native_type=True, export_fields=export_fields)
        if queryset is None:
            queryset = self.get_queryset()
        queryset = self.filter_export(queryset, force_native_type=True)
        rows, kinds = order_line_cells(queryset)
        fields = self.get_export_fields(export_fields)
        picked = [HEADER.index(self.get_field_name(field)) for field in fields]
        if picked != list(range(len(HEADER))):
            rows = ([row[i] for i in picked] for row in rows)
            kinds = kinds and [kinds[i] for i in picked]
        return self.get_export_headers(selected_fields=export_fields), rows, kinds

    def dehydrate_placed_at(self, item: OrderItem) -> str:
        return item.order.placed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

    def dehydrate_customer_name(self, item: OrderItem) -> str:
        return item.order.customer.full_name

    def dehydrate_line_total(self, item: OrderItem) -> Decimal:
        return item.line_total.quantize(Decimal("0.01"))


class OrderImportResource(StrictModelResource):
    """Orders from CSV (docs/csv-formats.md, "Orders"): one row per line, grouped by
    ``external_reference``; orders already imported are skipped."""

    external_reference = fields.Field(
        column_name="external_reference", widget=TextWidget(max_length=100, required=True)
    )
    customer_email = fields.Field(
        column_name="customer_email", widget=EmailWidget(max_length=254, required=True)
    )
    first_name = fields.Field(column_name="first_name", widget=TextWidget(max_length=100))
    last_name = fields.Field(column_name="last_name", widget=TextWidget(max_length=100))
    sku = fields.Field(column_name="sku", widget=TextWidget(max_length=64, required=True))
    quantity = fields.Field(column_name="quantity", widget=CountWidget(max_value=1_000_000))
    unit_price = fields.Field(
        column_name="unit_price", widget=DecimalWidget(required=False, max_value=MAX_MONEY)
    )
    shipping_cost = fields.Field(
        column_name="shipping_cost", widget=DecimalWidget(required=False, max_value=MAX_MONEY)
    )
    discount = fields.Field(
        column_name="discount", widget=DecimalWidget(required=False, max_value=MAX_MONEY)
    )
    placed_at = fields.Field(column_name="placed_at", widget=TextWidget())
    status = fields.Field(column_name="status", widget=TextWidget(max_length=12))

    required_columns = ("external_reference", "customer_email", "sku", "quantity")
    column_labels = {"sku": "SKU"}

    class Meta:
        model = Order
        fields = (
            "external_reference",
            "customer_email",
            "first_name",
            "last_name",
            "sku",
            "quantity",
            "unit_price",
            "shipping_cost",
            "discount",
            "placed_at",
            "status",
        )
        import_id_fields = ()

    def before_import(self, dataset, **kwargs) -> None:
        super().before_import(dataset, **kwargs)
        self.reference = new_order_import_reference()

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
            return import_orders(self, dataset, result, user=kwargs.get("user"), dry_run=dry_run)
        except (DatabaseError, psycopg.Error) as error:
            result.append_base_error(
                self.get_error_result_class()(
                    ValueError(
                        "Someone else changed these orders, customers or products while the "
                        f"file was being imported ({type(error).__name__}). Nothing was "
                        "saved; import the file again."
                    )
                )
            )
            return result


def new_order_import_reference() -> str:
    """The history reason of one order import's rows: import:orders-20261120-101500-ab12cd."""
    return f"import:orders-{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
