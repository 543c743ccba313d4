"""Admin registrations of the staff app: users and roles."""

from backoffice.admin.lockouts import AccessAttemptAdmin
from backoffice.admin.tokens import ApiTokenAdmin
from backoffice.admin.users import GroupAdmin, UserAdmin

__all__ = ["AccessAttemptAdmin", "ApiTokenAdmin", "GroupAdmin", "UserAdmin"]
