"""Writes on staff accounts that carry rules: activation and role membership.

Changes go through ``save()`` and the related manager (never ``QuerySet.update``) so that
simple-history records each one.
"""

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import transaction

from backoffice.models import User


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
