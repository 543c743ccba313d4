"""History rows for rows written in bulk.

simple-history writes its rows from model signals, which ``bulk_create``, ``bulk_update``
and raw deletes do not send; the bulk paths write their history rows here instead, in
one statement, with the acting user and a reason.
"""

from collections.abc import Sequence

from django.db import models
from django.utils import timezone

CREATED, CHANGED, DELETED = "+", "~", "-"


def history_write(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    history_type: str,
    user=None,
    reason: str = "",
    date=None,
) -> None:
    """Append one history row per object, as simple-history would have written it."""
    if not objs:
        return
    history_model = model.history.model
    date = date or timezone.now()
    user = user if getattr(user, "is_authenticated", False) else None
    history_model.objects.bulk_create(
        [
            history_model(
                history_date=date,
                history_user=user,
                history_change_reason=reason,
                history_type=history_type,
                **{f.attname: getattr(obj, f.attname) for f in history_model.tracked_fields},
            )
            for obj in objs
        ]
    )


def delete_rows(model: type[models.Model], pks: Sequence) -> int:
    """Delete rows by primary key in one statement, sending no signals.

    For bulk paths that write the rows' history themselves (``history_write``); nothing
    may cascade from these rows.
    """
    if not pks:
        return 0
    queryset = model._base_manager.filter(pk__in=list(pks))
    return queryset._raw_delete(queryset.db)
