"""The API under /api/v1/ (docs/api.md): every app's views, each POST idempotent."""

from django.urls import path

from backoffice.api.idempotency import idempotent
from backoffice.api.views import JwtLoginView, JwtRefreshView, SchemaView, docs_view

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", docs_view, name="api-docs"),
    path("auth/jwt/", JwtLoginView.as_view(), name="api-jwt"),
    path("auth/jwt/refresh/", JwtRefreshView.as_view(), name="api-jwt-refresh"),
]

__all__ = ["idempotent", "urlpatterns"]
