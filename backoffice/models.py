"""The staff user model."""

from django.contrib.auth.models import AbstractUser
from simple_history.models import HistoricalRecords


class User(AbstractUser):
    """A member of staff. Roles are Django groups (see ``backoffice.roles``)."""

    # The password hash never goes into history; last_login would add a row per login.
    # Role (group) changes are recorded as history rows too.
    history = HistoricalRecords(excluded_fields=["password", "last_login"], m2m_fields=["groups"])

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    @property
    def full_name(self) -> str:
        return self.get_full_name()
