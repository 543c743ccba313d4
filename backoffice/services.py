"""Writes on staff accounts that carry rules: activation and role membership.

Changes go through ``save()`` and the related manager (never ``QuerySet.update``) so that
simple-history records each one.
"""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from backoffice.models import ApiToken, User

API_KEY_PREFIX = "bo_"


@transaction.atomic
def user_set_active(*, users: Iterable[User], active: bool, actor: User) -> int:
    """Activate or deactivate ``users``; return how many changed.

    ``actor`` can never deactivate their own account (they would lock themselves out).
    """
    changed = 0
    for user in users:
        if user.is_active == active or (not active and user.pk == actor.pk):
            continue
        user.is_active = active
        user.save(update_fields=["is_active"])
        changed += 1
    return changed


@transaction.atomic
def user_set_role(*, users: Iterable[User], group: Group, member: bool) -> int:
    """Add ``users`` to (``member=True``) or remove them from a role; return how many changed."""
    changed = 0
    for user in users:
        has_role = user.groups.filter(pk=group.pk).exists()
        if has_role == member:
            continue
        if member:
            user.groups.add(group)
        else:
            user.groups.remove(group)
        changed += 1
    return changed


def api_token_digest(key: str) -> str:
    """The form in which a key is stored and looked up (keys are 256 random bits)."""
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(
    *, user: User, name: str, expires_days: int | None = None
) -> tuple[ApiToken, str]:
    """Make a token for ``user``; return it and its key, which is never shown again."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:10], digest=api_token_digest(key), expires_at=expires_at
    )
    return token, key


def api_token_revoke(*, tokens: QuerySet[ApiToken]) -> int:
    """Revoke tokens at once; they stay listed with the time they were revoked."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
