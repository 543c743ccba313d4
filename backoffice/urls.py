from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from backoffice.views import healthz, media
from orders.admin.links import order_by_number

handler403 = "backoffice.views.permission_denied"
handler404 = "backoffice.views.page_not_found"
handler500 = "backoffice.views.server_error"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("media/<path:name>", media, name="media"),
    # Where an order:ORD-000042 reference leads (foundation.links).
    path(
        "admin/orders/order/number/<str:number>/",
        admin.site.admin_view(order_by_number),
        name="orders_order_by_number",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("backoffice.api.urls")),
]
