from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from backoffice.views import healthz, media

handler403 = "backoffice.views.permission_denied"
handler404 = "backoffice.views.page_not_found"
handler500 = "backoffice.views.server_error"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("media/<path:name>", media, name="media"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("backoffice.api.urls")),
]
