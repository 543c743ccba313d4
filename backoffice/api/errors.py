"""Domain errors of the services, answered with the API's status codes (docs/api.md)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from catalog.models import Product
from catalog.services import InsufficientStock, StockOutOfRange
from orders.services import OrderChanged, OrderInvalid, TransitionRefused


def exception_handler(error, context):
    """Map service errors to 409/412/400; add Retry-After to 429; everything else as DRF."""
    if isinstance(error, InsufficientStock):
        return Response(
            {
                "code": "insufficient_stock",
                "sku": error.product.sku,
                "asked": error.asked,
                "available": error.available,
                "detail": str(error),
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(error, OrderChanged):
        return Response(
            {"code": "precondition_failed", "detail": str(error)},
            status=status.HTTP_412_PRECONDITION_FAILED,
        )
    if isinstance(error, TransitionRefused):
        refused_by_role = "your role may not" in str(error)
        return Response(
            {"code": "transition_refused", "detail": str(error)},
            status=status.HTTP_403_FORBIDDEN if refused_by_role else status.HTTP_409_CONFLICT,
        )
    if isinstance(error, OrderInvalid | StockOutOfRange):
        return Response({"non_field_errors": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(error, DjangoValidationError):
        detail = error.message_dict if hasattr(error, "error_dict") else error.messages
        return Response(
            detail if isinstance(detail, dict) else {"non_field_errors": detail},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(error, exceptions.ValidationError):
        error.detail = _by_index(error.detail)
    if isinstance(error, Product.DoesNotExist):
        error = exceptions.NotFound()
    elif isinstance(error, Http404):  # e.g. ?format=xml; NotFound has the default_code below
        error = exceptions.NotFound(*error.args)
    response = drf_exception_handler(error, context)
    if response is None:
        return None
    if isinstance(error, exceptions.Throttled):
        response["Retry-After"] = str(int(error.wait or 1))
    elif getattr(error, "wait", None):  # e.g. the JWT login while locked out
        response["Retry-After"] = str(int(error.wait))
    detail = getattr(error, "detail", None)
    data = response.data
    if isinstance(data, dict) and "detail" in data and "code" not in data:
        # Every error says what kind it is in one word, for programs to act on.
        response.data["code"] = getattr(detail, "code", None) or error.default_code
    return response


def _by_index(detail):
    """Errors of list items keyed by index (``{"lines": {"2": {...}}}``), valid items left out."""
    if isinstance(detail, dict):
        return {key: _by_index(value) for key, value in detail.items()}
    if isinstance(detail, list) and any(isinstance(item, dict) for item in detail):
        return {str(i): _by_index(item) for i, item in enumerate(detail) if item}
    return detail
