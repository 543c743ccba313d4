"""The orders' API: customers, orders and their status transitions.

Orders are written by the one order-save path (``orders.services.order_save`` and
``order_transition``), as the admin writes them: the stock moves once, through the
ledger, and history rows name the API user with the reason "API".
"""

from collections.abc import Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api import API_HISTORY_REASON, parse_time, products_by_sku
from catalog.models import sku_key
from foundation.api import (
    Cursor,
    check_if_match,
    checked_text,
    content_etag,
    expected_version,
    quoted,
)
from foundation.rows import row_by
from orders.models import MAX_MONEY, Customer, Order, OrderItem, OrderStatus
from orders.services import customer_create, order_save, order_transition

MAX_LINES = 1000


# Customers --------------------------------------------------------------------------------


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "email",
            "first_name",
            "last_name",
            "phone",
            "street",
            "city",
            "postal_code",
            "country",
            "notes",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"email": {"validators": []}}  # checked in validate_email, in words

    def validate_email(self, value: str) -> str:
        email = value.strip().lower()
        taken = Customer.objects.filter(email=email)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("A customer with this email already exists.")
        return email

    def validate_country(self, value: str) -> str:
        return value.strip().upper()

    def save(self, **kwargs):
        # History rows name the API user and say the change came through the API.
        user = self.context["request"].user
        instance = self.instance or Customer()
        for name, value in {**self.validated_data, **kwargs}.items():
            setattr(instance, name, value)
        instance.full_clean(exclude=["email"] if self.instance is None else None)
        instance._history_user = user
        instance._change_reason = API_HISTORY_REASON
        instance.save()
        self.instance = instance
        return instance


def customer_etag(customer: Customer) -> str:
    return content_etag(CustomerSerializer(customer).data)


class CustomerList(generics.ListCreateAPIView):
    """Customers in the order they were added; POST adds one."""

    serializer_class = CustomerSerializer
    pagination_class = Cursor
    cursor_ordering = ("id",)
    queryset = Customer.objects.all()

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            customer = serializer.save()
        return Response(
            serializer.data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": customer_etag(customer)},
        )


class CustomerDetail(APIView):
    """One customer by email: GET with an ETag; PATCH honours If-Match."""

    queryset = Customer.objects.none()

    def _get(self, email: str, *, lock: bool = False) -> Customer:
        customers = Customer.objects.select_for_update() if lock else Customer.objects
        customer = customers.filter(email=checked_text(email, "email").strip().lower()).first()
        if customer is None:
            raise exceptions.NotFound(f"No customer with email {email[:100]!r}.")
        return customer

    @extend_schema(responses=CustomerSerializer)
    def get(self, request, email: str) -> Response:
        customer = self._get(email)
        return Response(
            CustomerSerializer(customer).data, headers={"ETag": customer_etag(customer)}
        )

    @extend_schema(request=CustomerSerializer, responses=CustomerSerializer)
    def patch(self, request, email: str) -> Response:
        with transaction.atomic():
            customer = self._get(email, lock=True)
            check_if_match(request, customer_etag(customer))
            serializer = CustomerSerializer(
                customer, data=request.data, partial=True, context={"request": request}
            )
            serializer.is_valid(raise_exception=True)
            serializer.save()
        return Response(serializer.data, headers={"ETag": customer_etag(customer)})


# Orders -----------------------------------------------------------------------------------


class OrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    line_total = serializers.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        model = OrderItem
        fields = ["sku", "name", "quantity", "unit_price", "line_total"]


class OrderSerializer(serializers.ModelSerializer):
    customer = serializers.EmailField(source="customer.email")
    lines = OrderLineSerializer(source="items", many=True)

    class Meta:
        model = Order
        fields = [
            "number",
            "external_reference",
            "status",
            "customer",
            "lines",
            "shipping_cost",
            "discount",
            "total",
            "item_count",
            "notes",
            "shipping_name",
            "shipping_street",
            "shipping_city",
            "shipping_postal_code",
            "shipping_country",
            "placed_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


_money = serializers.DecimalField(max_digits=14, decimal_places=2)
_time = serializers.DateTimeField()


def order_payload(order: Order, lines: Sequence[tuple[OrderItem, str, str]]) -> dict:
    """``OrderSerializer(order).data`` of an order just written, from what is in memory.

    ``lines``: each line with its product's SKU and name. Reading the order back to
    serialize it cost three queries and about a quarter of an API order's CPU; a test
    holds the two equal.
    """
    return {
        "number": order.number,
        "external_reference": order.external_reference,
        "status": str(order.status),
        "customer": order.customer.email,
        "lines": [
            {
                "sku": sku,
                "name": name,
                "quantity": line.quantity,
                "unit_price": _money.to_representation(line.unit_price),
                "line_total": _money.to_representation(line.line_total),
            }
            for line, sku, name in lines
        ],
        "shipping_cost": _money.to_representation(order.shipping_cost),
        "discount": _money.to_representation(order.discount),
        "total": _money.to_representation(order.total),
        "item_count": order.item_count,
        "notes": order.notes,
        "shipping_name": order.shipping_name,
        "shipping_street": order.shipping_street,
        "shipping_city": order.shipping_city,
        "shipping_postal_code": order.shipping_postal_code,
        "shipping_country": order.shipping_country,
        "placed_at": _time.to_representation(order.placed_at),
        "updated_at": _time.to_representation(order.updated_at),
        "version": order.version,
    }


def order_etag(order: Order) -> str:
    return quoted(str(order.version))


class LineInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    unit_price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=MAX_MONEY,
        required=False,
        allow_null=True,
        help_text="Default: the product's price.",
    )


class NewCustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "email",
            "first_name",
            "last_name",
            "phone",
            "street",
            "city",
            "postal_code",
            "country",
        ]
        extra_kwargs = {"email": {"validators": []}}  # an existing customer is found, not refused


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "email"},
            {"$ref": "#/components/schemas/NewCustomerRequest"},
        ]
    }
)
class CustomerField(serializers.Field):
    """An existing customer's email, or an object that finds (by email) or makes one."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            email = serializers.EmailField().run_validation(data).strip().lower()
            customer = row_by(Customer, "email", email)
            if customer is None:
                raise serializers.ValidationError(f"No customer with email {email!r}.")
            return customer
        if isinstance(data, dict):
            serializer = NewCustomerSerializer(data=data)
            if not serializer.is_valid():
                raise serializers.ValidationError(serializer.errors)
            return serializer.validated_data
        raise serializers.ValidationError("An email, or an object with email and names.")

    def to_representation(self, value):
        return value.email


class OrderInSerializer(serializers.Serializer):
    customer = CustomerField()
    lines = LineInSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    shipping_cost = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), max_value=MAX_MONEY,
        default=Decimal("0.00"),
    )  # fmt: skip
    discount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), max_value=MAX_MONEY,
        default=Decimal("0.00"),
    )  # fmt: skip
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    external_reference = serializers.CharField(
        required=False, allow_null=True, max_length=100, default=None
    )
    status = serializers.ChoiceField(
        choices=[OrderStatus.PENDING, OrderStatus.PAID], default=OrderStatus.PENDING
    )
    placed_at = serializers.DateTimeField(required=False)
    shipping_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    shipping_street = serializers.CharField(required=False, allow_blank=True, max_length=200)
    shipping_city = serializers.CharField(required=False, allow_blank=True, max_length=100)
    shipping_postal_code = serializers.CharField(required=False, allow_blank=True, max_length=20)
    shipping_country = serializers.RegexField(r"^[A-Z]{2}$", required=False, allow_blank=True)


class DuplicateReference(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "duplicate_external_reference"


def _duplicate(reference: str) -> DuplicateReference:
    number = (
        Order.objects.filter(external_reference=reference).values_list("number", flat=True).first()
    )
    error = DuplicateReference(
        {
            "code": "duplicate_external_reference",
            "detail": f"An order with external_reference {reference!r} exists: {number}.",
            "order": number,
        }
    )
    return error


Written = tuple[Order, list[tuple[OrderItem, str, str]]]


@transaction.atomic  # a customer made for the order is not kept if the order is refused
def order_create(data: dict, *, user) -> Written:
    """Write a new order from checked API data through ``order_save``.

    Returns the order and its lines, each with its product's SKU and name (what the
    answer shows, so that it is made without reading the order back).
    """
    lines = data["lines"]
    found = products_by_sku([line["sku"] for line in lines])
    missing = {
        str(index): {"sku": [f"Unknown product '{line['sku'][:64]}'."]}
        for index, line in enumerate(lines)
        if sku_key(line["sku"]) not in found
    }
    if missing:
        raise exceptions.ValidationError({"lines": missing})
    reference = data.get("external_reference")
    if reference and Order.objects.filter(external_reference=reference).exists():
        raise _duplicate(reference)
    customer = data["customer"]
    if isinstance(customer, dict):
        customer = _customer_find_or_create(customer, user=user)
    order = Order(
        customer=customer,
        status=data["status"],
        shipping_cost=data["shipping_cost"],
        discount=data["discount"],
        notes=data["notes"],
        external_reference=reference or None,
        **{
            name: data[name]
            for name in (
                "placed_at",
                "shipping_name",
                "shipping_street",
                "shipping_city",
                "shipping_postal_code",
                "shipping_country",
            )
            if name in data
        },
    )
    written = []
    for line in lines:
        pk, sku, _, price, name = found[sku_key(line["sku"])]
        unit_price = line.get("unit_price")
        # A blank price is the product's price at this moment (read with its key above).
        item = OrderItem(
            product_id=pk,
            quantity=line["quantity"],
            unit_price=price if unit_price is None else unit_price,
        )
        written.append((item, sku, name))
    add = [item for item, _, _ in written]
    try:
        # Any refusal ends this request's transaction, so no savepoint is needed, but for
        # a reference: then the transaction must still look up who took it.
        with transaction.atomic(savepoint=bool(reference)):
            order = order_save(
                order=order, user=user, add=add, reason=API_HISTORY_REASON, savepoint=False
            )
    except IntegrityError:  # the same reference, taken by a request running at the same time
        if reference and Order.objects.filter(external_reference=reference).exists():
            raise _duplicate(reference) from None
        raise
    return order, written


def _customer_find_or_create(values: dict, *, user) -> Customer:
    email = values["email"].strip().lower()
    customer = row_by(Customer, "email", email)
    if customer is not None:
        return customer
    if not user.has_perm("orders.add_customer"):
        raise exceptions.PermissionDenied("Your role may not add customers.")
    values = {**values, "email": email, "country": values.get("country", "").upper()}
    return customer_create(values=values, user=user, reason=API_HISTORY_REASON)


def _order_queryset() -> QuerySet[Order]:
    return Order.objects.select_related("customer").prefetch_related("items__product")


class OrderList(generics.ListAPIView):
    """Orders, oldest change first (cursor); POST takes a new order."""

    serializer_class = OrderSerializer
    pagination_class = Cursor
    cursor_ordering = ("updated_at", "id")
    queryset = Order.objects.none()

    def get_queryset(self) -> QuerySet[Order]:
        orders = _order_queryset()
        params = self.request.query_params
        if order_status := params.get("status"):
            if order_status not in OrderStatus.values:
                raise exceptions.ValidationError(
                    {"status": [f"One of {', '.join(OrderStatus.values)}."]}
                )
            orders = orders.filter(status=order_status)
        if since := params.get("updated_since"):
            orders = orders.filter(updated_at__gte=parse_time(since, "updated_since"))
        if email := params.get("customer"):
            orders = orders.filter(customer__email=checked_text(email, "customer").strip().lower())
        return orders

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=OrderStatus.values),
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME),
            OpenApiParameter("customer", str, description="The customer's email."),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=OrderInSerializer, responses={201: OrderSerializer})
    def post(self, request) -> Response:
        serializer = OrderInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order, lines = order_create(serializer.validated_data, user=request.user)
        return Response(
            order_payload(order, lines),
            status=status.HTTP_201_CREATED,
            headers={"ETag": order_etag(order), "Location": f"{order.number}/"},
        )


def _get_order(number: str) -> Order:
    order = _order_queryset().filter(number=checked_text(number, "number")).first()
    if order is None:
        raise exceptions.NotFound(f"No order numbered {number[:30]!r}.")
    return order


class OrderDetail(APIView):
    """One order by number, with an ETag (its version)."""

    queryset = Order.objects.none()

    @extend_schema(responses=OrderSerializer)
    def get(self, request, number: str) -> Response:
        order = _get_order(number)
        return Response(OrderSerializer(order).data, headers={"ETag": order_etag(order)})


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=OrderStatus.choices)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="Why (e.g. why it is cancelled): shown on the order's timeline.",
    )


class OrderTransition(APIView):
    """POST ``{"to": "paid"}`` (optionally with a ``"reason"``): move the order along the
    workflow, as the admin's buttons do and with the same permissions; If-Match (the
    order's ETag) refuses a stale move."""

    queryset = Order.objects.none()
    required_permissions = {"POST": ["orders.view_order"]}  # each move checks its own

    @extend_schema(request=TransitionSerializer, responses=OrderSerializer)
    def post(self, request, number: str) -> Response:
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = _get_order(number)
        version = expected_version(request)
        order_transition(
            order=order,
            to_status=serializer.validated_data["to"],
            user=request.user,
            expected_version=version,
            reason=serializer.validated_data.get("reason", ""),
            via=API_HISTORY_REASON,
        )
        order = _order_queryset().get(pk=order.pk)
        return Response(OrderSerializer(order).data, headers={"ETag": order_etag(order)})
