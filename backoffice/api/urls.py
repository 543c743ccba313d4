"""The API under /api/v1/ (docs/api.md): every app's views; every POST is idempotent."""

from django.urls import path

from backoffice.api.idempotency import idempotent
from backoffice.api.views import JwtLoginView, JwtRefreshView, SchemaView, docs_view
from catalog import api as catalog_api
from orders import api as orders_api


def view(cls):
    return idempotent(cls.as_view())


urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", docs_view, name="api-docs"),
    path("auth/jwt/", JwtLoginView.as_view(), name="api-jwt"),
    path("auth/jwt/refresh/", JwtRefreshView.as_view(), name="api-jwt-refresh"),
    # Catalog
    path("products/", view(catalog_api.ProductList), name="api-products"),
    path("products/bulk/", view(catalog_api.ProductBulk), name="api-products-bulk"),
    path("products/<str:sku>/", view(catalog_api.ProductDetail), name="api-product"),
    path("stock/", view(catalog_api.StockLevels), name="api-stock"),
    path("stock/adjustments/", view(catalog_api.StockAdjust), name="api-stock-adjustments"),
    path("stock/levels/", view(catalog_api.StockSetLevels), name="api-stock-levels"),
    path("stock/movements/", view(catalog_api.StockMovementList), name="api-stock-movements"),
    # Orders and customers
    path("customers/", view(orders_api.CustomerList), name="api-customers"),
    path("customers/<str:email>/", view(orders_api.CustomerDetail), name="api-customer"),
    path("orders/", view(orders_api.OrderList), name="api-orders"),
    path("orders/<str:number>/", view(orders_api.OrderDetail), name="api-order"),
    path(
        "orders/<str:number>/transitions/",
        view(orders_api.OrderTransition),
        name="api-order-transitions",
    ),
]
