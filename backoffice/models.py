"""The staff user model."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
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


class ApiToken(models.Model):
    """A key an integration sends as ``Authorization: Token <key>``, acting as ``user``.

    Only a SHA-256 digest of the key is stored: the key itself is shown once, when the token
    is made (``backoffice.services.api_token_create``). Keys are 256 random bits, so an
    unsalted digest is as good as a password hash here and can be looked up by index.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. 'Shop storefront'.")
    # The first characters of the key, shown in lists so a key in a config can be recognised.
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def throttle_ident(self) -> str:
        """Requests are counted per token (foundation.api.TokenOrUserThrottle)."""
        return f"t{self.pk}"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key`` header, per user.

    The row is claimed (inserted) in the same transaction as the write it guards, so two
    requests with one key never both write: the second waits on the unique index, then
    finds the first's answer (or, if the first was refused and rolled back, no row).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and body: the same key with another request is refused (422).
    request_digest = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)
    body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return self.key
