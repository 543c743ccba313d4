"""Admin registrations of the staff app: users and roles."""

from backoffice.admin.users import GroupAdmin, UserAdmin

__all__ = ["GroupAdmin", "UserAdmin"]
