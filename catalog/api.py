"""The catalog's API: products (read, upsert, bulk) and stock (levels, moves, ledger).

Writes go through the same paths as the admin and the CSV import: products through the
import's bulk path (``ProductResource``: the same checks and messages, stock through the
ledger), stock through ``catalog.services``. Errors name the field, and for lists the
item's index: ``{"3": {"price": ["Must be 0 or more, got -1."]}}``.
"""

import secrets
from collections.abc import Sequence
from datetime import UTC
from decimal import Decimal

import tablib
from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.importing import COLUMNS
from catalog.models import MAX_STOCK, Product, StockMovement, sku_key, sku_problem
from catalog.resources import ProductResource
from catalog.services import stock_adjust, stock_set_bulk
from foundation.api import Cursor, check_if_match, checked_text, quoted
from foundation.resources import format_errors

API_HISTORY_REASON = "API"
# The columns of the product CSV (docs/csv-formats.md); stock is optional here.
PRODUCT_COLUMNS = [*COLUMNS, "stock"]
PRODUCT_REQUIRED = ("sku", "name", "category", "price", "is_active")


def api_reference(kind: str) -> str:
    """A reference shared by the ledger and history rows of one API request."""
    return f"api:{kind}-{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


# Products ---------------------------------------------------------------------------------


class ProductSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Product
        fields = [
            "sku",
            "name",
            "category",
            "description",
            "price",
            "cost",
            "stock",
            "low_stock_threshold",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProductWriteSerializer(serializers.Serializer):
    """The CSV's columns (for the schema); the values are checked by the import's widgets."""

    sku = serializers.CharField(max_length=64, required=False)
    name = serializers.CharField(max_length=200)
    category = serializers.CharField(help_text="The category's slug.")
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    is_active = serializers.BooleanField()
    description = serializers.CharField(required=False, allow_blank=True)
    cost = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True
    )
    low_stock_threshold = serializers.IntegerField(required=False, min_value=0)
    stock = serializers.IntegerField(
        required=False, min_value=0, help_text="The wanted level; moves through the ledger."
    )


def product_etag(updated_at) -> str:
    return quoted(str(int(updated_at.timestamp() * 1_000_000)))


class ApiProductResource(ProductResource):
    """The product import with the API's rules: stock optional, one reference per request."""

    required_columns = ()

    def before_import(self, dataset, **kwargs) -> None:
        super().before_import(dataset, **kwargs)
        self.reference = self.api_reference


def _cell(value, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        # true/false only where the column is a flag: true is not a price of 1.
        if column != "is_active":
            raise ValueError("Must be a number or a text, not true/false.")
        return "1" if value else "0"
    if isinstance(value, int | float | str):
        return str(value)
    raise ValueError("Must be a text, a number or true/false.")


def products_upsert(items: Sequence[dict], *, user, required=PRODUCT_REQUIRED) -> dict:
    """Create or update products from dicts of the CSV's columns, all of them or none.

    Raise ``ValidationError`` with the errors by item index (``{"0": {"price": [...]}}``);
    then nothing is written. Return the import's totals.
    """
    if not items:
        raise exceptions.ValidationError({"non_field_errors": ["Send at least one product."]})
    errors: dict[str, dict] = {}
    columns = list(items[0]) if isinstance(items[0], dict) else []
    rows = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors[str(index)] = {"non_field_errors": ["Must be an object."]}
            continue
        item_errors = {key: ["Unknown field."] for key in item if key not in PRODUCT_COLUMNS} | {
            key: ["This field is required."] for key in required if key not in item
        }
        if not item_errors and set(item) != set(columns):
            item_errors["non_field_errors"] = [
                f"Has the fields {', '.join(sorted(item))}; the first item has "
                f"{', '.join(sorted(columns))}. Every item of one request has the same fields."
            ]
        row = []
        for column in columns:
            try:
                row.append(_cell(item.get(column), column))
            except ValueError as error:
                item_errors[column] = [str(error)]
        if item_errors:
            errors[str(index)] = item_errors
        rows.append(row)
    if errors:
        raise exceptions.ValidationError(errors)
    resource = ApiProductResource()
    resource.api_reference = api_reference("products")
    dataset = tablib.Dataset(*rows, headers=columns)
    result = resource.import_data(dataset, dry_run=False, user=user)
    if result.has_validation_errors() or result.has_errors():
        raise exceptions.ValidationError(_import_errors(result))
    return {
        "created": result.totals["new"],
        "updated": result.totals["update"],
        "unchanged": result.totals["skip"],
        "reference": resource.reference,
    }


def _import_errors(result) -> dict:
    """The import's errors by item index (rows count from 1, items from 0)."""
    errors: dict[str, dict] = {}
    for invalid in result.invalid_rows:
        error = invalid.error
        messages = (
            error.message_dict
            if hasattr(error, "error_dict")
            else {"non_field_errors": error.messages}
        )
        errors[str(invalid.number - 1)] = messages
    for number, row_errors in result.row_errors():
        errors.setdefault(str(number - 1), {})["non_field_errors"] = [
            str(e.error) for e in row_errors
        ]
    if result.base_errors or not errors:
        errors["non_field_errors"] = [line.removeprefix("File: ") for line in format_errors(result)]
    return errors


class ProductList(generics.ListAPIView):
    """Products, oldest change first: pass the last page's cursor to sync what changed."""

    serializer_class = ProductSerializer
    pagination_class = Cursor
    cursor_ordering = ("updated_at", "id")

    def get_queryset(self) -> QuerySet[Product]:
        products = Product.objects.select_related("category")
        params = self.request.query_params
        if sku := params.get("sku"):
            products = products.filter(sku__iexact=checked_text(sku, "sku"))
        if category := params.get("category"):
            products = products.filter(category__slug=category)
        if (active := params.get("is_active")) is not None:
            if active.lower() not in {"true", "false", "1", "0"}:
                raise exceptions.ValidationError({"is_active": ["Use true or false."]})
            products = products.filter(is_active=active.lower() in {"true", "1"})
        if since := params.get("updated_since"):
            products = products.filter(updated_at__gte=parse_time(since, "updated_since"))
        return products

    @extend_schema(
        parameters=[
            OpenApiParameter("sku", str),
            OpenApiParameter("category", str, description="The category's slug."),
            OpenApiParameter("is_active", bool),
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def parse_time(value: str, field: str):
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise exceptions.ValidationError(
            {field: ["Use an ISO 8601 date and time, e.g. 2026-11-20T10:00:00Z."]}
        )
    try:
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
        # In UTC: databases refuse some offsets Python accepts (PostgreSQL: beyond 15:59).
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise exceptions.ValidationError({field: ["Out of the range of dates."]}) from None


def _find_product(sku: str, *, lock: bool = False) -> Product | None:
    products = Product.objects.select_related("category")
    if lock:
        products = products.select_for_update(of=("self",) if _lock_of() else ())
    if connection.vendor == "mysql":  # the column's collation ignores case
        return products.filter(sku=sku).first()
    return products.alias(key=Upper("sku")).filter(key=sku_key(sku)).first()


def _lock_of() -> bool:
    return connection.features.has_select_for_update_of


class ProductDetail(APIView):
    """One product by SKU (case ignored): GET with an ETag; PUT creates or replaces it;
    PATCH changes some of its fields. Both honour If-Match."""

    queryset = Product.objects.none()  # for the permission classes: catalog.*_product

    @extend_schema(responses=ProductSerializer)
    def get(self, request, sku: str) -> Response:
        product = _find_product(checked_text(sku, "sku"))
        if product is None:
            raise exceptions.NotFound(f"No product with SKU {sku[:64]!r}.")
        return Response(
            ProductSerializer(product).data, headers={"ETag": product_etag(product.updated_at)}
        )

    @extend_schema(request=ProductWriteSerializer, responses=ProductSerializer)
    def put(self, request, sku: str) -> Response:
        return self._write(request, sku, partial=False)

    @extend_schema(request=ProductWriteSerializer, responses=ProductSerializer)
    def patch(self, request, sku: str) -> Response:
        return self._write(request, sku, partial=True)

    def _write(self, request, sku: str, *, partial: bool) -> Response:
        checked_text(sku, "sku")
        # The address names the product as the file's column would: a SKU the import would
        # clean to another one (spaces around it) or refuse is refused before any write.
        if (problem := sku_problem(sku)) is not None:
            raise exceptions.ValidationError({"sku": [problem]})
        body = request.data
        if not isinstance(body, dict):
            raise exceptions.ValidationError({"non_field_errors": ["Send a JSON object."]})
        if "sku" in body and sku_key(str(body["sku"])) != sku_key(sku):
            raise exceptions.ValidationError({"sku": ["Differs from the SKU in the address."]})
        if "stock" in body and not request.user.has_perm("catalog.adjust_stock"):
            raise exceptions.PermissionDenied("Your role may not set stock levels.")
        with transaction.atomic():
            current = _find_product(sku, lock=True)
            if current is None:
                if partial:
                    raise exceptions.NotFound(f"No product with SKU {sku[:64]!r}.")
                if not request.user.has_perm("catalog.add_product"):
                    raise exceptions.PermissionDenied("Your role may not add products.")
            else:
                check_if_match(request, product_etag(current.updated_at))
            item = {**body, "sku": current.sku if current else sku}
            try:
                products_upsert(
                    [item], user=request.user, required=() if partial else PRODUCT_REQUIRED
                )
            except exceptions.ValidationError as error:
                # One item: its errors by field, without the index.
                detail = error.detail
                raise exceptions.ValidationError(detail.get("0", detail)) from None
            product = _find_product(item["sku"])
            if product is None:  # never expected; if it happens, nothing of it is kept
                raise RuntimeError(f"The product written for SKU {sku!r} cannot be read back.")
        return Response(
            ProductSerializer(product).data,
            status=status.HTTP_201_CREATED if current is None else status.HTTP_200_OK,
            headers={"ETag": product_etag(product.updated_at)},
        )


class ProductBulk(APIView):
    """Create or update up to API_BULK_MAX_ITEMS products in one request, all or none."""

    queryset = Product.objects.none()
    required_permissions = {"POST": ["catalog.add_product", "catalog.change_product"]}

    @extend_schema(
        request=ProductWriteSerializer(many=True),
        responses=inline_serializer(
            "ProductBulkResult",
            {
                "created": serializers.IntegerField(),
                "updated": serializers.IntegerField(),
                "unchanged": serializers.IntegerField(),
                "reference": serializers.CharField(),
            },
        ),
    )
    def post(self, request) -> Response:
        items = _list_body(request.data)
        if any(isinstance(i, dict) and "stock" in i for i in items) and not (
            request.user.has_perm("catalog.adjust_stock")
        ):
            raise exceptions.PermissionDenied("Your role may not set stock levels.")
        with transaction.atomic():
            totals = products_upsert(items, user=request.user)
        return Response(totals, status=status.HTTP_200_OK)


def _list_body(data) -> list:
    if not isinstance(data, list):
        raise exceptions.ValidationError({"non_field_errors": ["Send a JSON list."]})
    limit = settings.API_BULK_MAX_ITEMS
    if len(data) > limit:
        raise exceptions.ValidationError(
            {"non_field_errors": [f"At most {limit:,} items per request (got {len(data):,})."]}
        )
    if not data:
        raise exceptions.ValidationError({"non_field_errors": ["Send at least one item."]})
    return data


# Stock ------------------------------------------------------------------------------------


class StockLevelSerializer(serializers.Serializer):
    sku = serializers.CharField()
    stock = serializers.IntegerField()


class StockLevels(APIView):
    """GET: the levels of the SKUs asked (``?sku=A&sku=B``, at most 1,000)."""

    queryset = StockMovement.objects.none()  # reading stock is reading the ledger

    @extend_schema(
        parameters=[OpenApiParameter("sku", str, many=True, required=True)],
        responses=StockLevelSerializer(many=True),
    )
    def get(self, request) -> Response:
        skus = [checked_text(s, "sku") for s in request.query_params.getlist("sku")]
        if not skus or len(skus) > 1000:
            raise exceptions.ValidationError({"sku": ["Ask for 1 to 1,000 SKUs: ?sku=A&sku=B."]})
        found = products_by_sku(skus)
        return Response(
            [
                {"sku": found[sku_key(s)][1], "stock": found[sku_key(s)][2]}
                for s in skus
                if sku_key(s) in found
            ]
        )


def products_by_sku(skus: Sequence[str]) -> dict[str, tuple[int, str, int, Decimal, str]]:
    """(pk, sku, stock, price, name) by sku_key, in few queries."""
    keys = sorted({sku_key(s) for s in skus})
    found: dict[str, tuple[int, str, int, Decimal, str]] = {}
    if connection.vendor == "postgresql":
        # One array parameter instead of 10,000 bound values (the UPPER(sku) index).
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, sku, stock, price, name FROM {Product._meta.db_table} "
                "WHERE UPPER(sku) = ANY(%s)",
                [keys],
            )
            for row in cursor.fetchall():
                found[sku_key(row[1])] = row
        return found
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        if connection.vendor == "mysql":
            rows = Product.objects.filter(sku__in=chunk)
        else:
            rows = Product.objects.alias(key=Upper("sku")).filter(key__in=chunk)
        for row in rows.values_list("pk", "sku", "stock", "price", "name"):
            found[sku_key(row[1])] = row
    return found


class StockSetLevels(APIView):
    """POST a list of ``{sku, stock}`` (after a count): each level is set through the ledger
    (reason ``count``), all of them or none."""

    queryset = StockMovement.objects.none()
    required_permissions = {"POST": ["catalog.adjust_stock"]}

    @extend_schema(
        request=StockLevelSerializer(many=True),
        responses=inline_serializer(
            "StockLevelsResult",
            {
                "changed": serializers.IntegerField(),
                "unchanged": serializers.IntegerField(),
                "reference": serializers.CharField(),
            },
        ),
    )
    def post(self, request) -> Response:
        items = _list_body(request.data)
        errors: dict[str, dict] = {}
        wanted: list[tuple[int, str, int]] = []
        first_seen: dict[str, int] = {}
        for index, item in enumerate(items):
            item_errors = {}
            if not isinstance(item, dict):
                errors[str(index)] = {"non_field_errors": ["Must be an object."]}
                continue
            sku, stock = item.get("sku"), item.get("stock")
            if not isinstance(sku, str) or not sku.strip():
                item_errors["sku"] = ["This field is required."]
            elif (first := first_seen.setdefault(sku_key(sku), index)) != index:
                item_errors["sku"] = [f"'{sku}' appears twice (first as item {first})."]
            if isinstance(stock, bool) or not isinstance(stock, int):
                item_errors["stock"] = ["A whole number is required."]
            elif not 0 <= stock <= MAX_STOCK:
                item_errors["stock"] = [f"Must be between 0 and {MAX_STOCK:,}."]
            if unknown := set(item) - {"sku", "stock"}:
                for key in unknown:
                    item_errors[str(key)] = ["Unknown field."]
            if item_errors:
                errors[str(index)] = item_errors
            else:
                wanted.append((index, sku, stock))
        found = products_by_sku([sku for _, sku, _ in wanted])
        for index, sku, _ in wanted:
            if sku_key(sku) not in found:
                errors[str(index)] = {"sku": [f"Unknown product '{sku[:64]}'."]}
        if errors:
            raise exceptions.ValidationError(errors)
        reference = api_reference("count")
        try:
            with transaction.atomic():
                moves = stock_set_bulk(
                    levels={found[sku_key(sku)][0]: stock for _, sku, stock in wanted},
                    reason=StockMovement.Reason.COUNT,
                    reference=reference,
                    user=request.user,
                )
        except Product.DoesNotExist:  # deleted between the lookup and the row locks
            raise exceptions.ValidationError(
                {"non_field_errors": ["A product was deleted meanwhile. Nothing was set."]}
            ) from None
        return Response(
            {"changed": len(moves), "unchanged": len(wanted) - len(moves), "reference": reference}
        )


class StockAdjustmentSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=-MAX_STOCK, max_value=MAX_STOCK)
    reason = serializers.ChoiceField(
        choices=[StockMovement.Reason.ADJUSTMENT, StockMovement.Reason.COUNT],
        default=StockMovement.Reason.ADJUSTMENT,
    )
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    def validate_quantity(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError("Enter a quantity other than 0.")
        return value


class StockMovementSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku")
    created_by = serializers.CharField(source="created_by.username", allow_null=True)

    class Meta:
        model = StockMovement
        fields = ["id", "sku", "quantity", "balance", "reason", "reference", "note",
                  "created_by", "created_at"]  # fmt: skip


class StockAdjust(APIView):
    """POST one signed move of one product's stock: one ledger row."""

    queryset = StockMovement.objects.none()
    required_permissions = {"POST": ["catalog.adjust_stock"]}

    @extend_schema(request=StockAdjustmentSerializer, responses={201: StockMovementSerializer})
    def post(self, request) -> Response:
        serializer = StockAdjustmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        product = _find_product(data["sku"])
        if product is None:
            raise exceptions.ValidationError({"sku": [f"Unknown product '{data['sku'][:64]}'."]})
        movement = stock_adjust(
            product=product,
            quantity=data["quantity"],
            reason=data["reason"],
            note=data["note"],
            reference=data["reference"],
            user=request.user,
        )
        movement.product = product
        movement.created_by = request.user
        return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)


class StockMovementList(generics.ListAPIView):
    """The ledger, oldest first (by id): pass the last page's cursor to read what is new."""

    serializer_class = StockMovementSerializer
    pagination_class = Cursor
    cursor_ordering = ("id",)

    def get_queryset(self) -> QuerySet[StockMovement]:
        movements = StockMovement.objects.select_related("product", "created_by")
        params = self.request.query_params
        if sku := params.get("sku"):
            product = _find_product(checked_text(sku, "sku"))
            movements = movements.filter(product=product.pk if product else None)
        if since := params.get("since"):
            movements = movements.filter(created_at__gte=parse_time(since, "since"))
        return movements

    @extend_schema(
        parameters=[
            OpenApiParameter("sku", str),
            OpenApiParameter("since", OpenApiTypes.DATETIME),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
