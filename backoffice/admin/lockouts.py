"""Failed and locked-out logins (django-axes) in the Unfold look; deleting one unlocks it."""

from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from unfold.admin import ModelAdmin as UnfoldModelAdmin

for model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(BaseAccessAttemptAdmin, UnfoldModelAdmin):
    """Superusers unlock an account or address by deleting its attempts."""
