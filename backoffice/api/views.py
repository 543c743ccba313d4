"""The top layer's own endpoints: JWT login (counted by django-axes) and the schema pages."""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, permissions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from foundation.api import TokenOrUserThrottle


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"


class JwtLoginView(TokenObtainPairView):
    """POST username and password; get ``access`` and ``refresh``.

    A failure counts toward the same lockout as the admin login (django-axes, per username
    and per address); while locked out, even the right password is refused with 429.
    """

    throttle_classes = [TokenOrUserThrottle]

    def post(self, request, *args, **kwargs) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except exceptions.AuthenticationFailed:
            # axes marks the request it was given (this DRF request) when it locks out.
            if getattr(request, "axes_locked_out", False):
                minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
                error = LockedOut(
                    f"Too many failed logins: try again in {minutes} minutes, or ask an "
                    "administrator to unlock the account."
                )
                error.wait = int(settings.AXES_COOLOFF_TIME.total_seconds())
                raise error from None
            raise


class JwtRefreshView(TokenRefreshView):
    throttle_classes = [TokenOrUserThrottle]


@extend_schema(exclude=True)
class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema: YAML, or JSON with ``?format=json`` or ``Accept: application/json``."""

    permission_classes = [permissions.IsAuthenticated]

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        # Errors are JSON, like every other answer of the API (not YAML).
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


docs_view = staff_member_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))
