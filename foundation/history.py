"""History rows for rows written in bulk.

simple-history writes its rows from model signals, which ``bulk_create``, ``bulk_update``
and raw deletes do not send; the bulk paths write their history rows here instead, in
one statement, with the acting user and a reason.
"""

from collections.abc import Sequence

from django.apps import apps
from django.db import connections, models, router
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.text import capfirst
from simple_history.manager import HistoryDescriptor
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from foundation import display
from foundation.bulk import key_chunks

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


HISTORY_OWN = {"history_id", "history_date", "history_change_reason", "history_type"}


def create_with_history(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    user=None,
    reason: str = "",
) -> None:
    """``bulk_create(objs)`` and their creation history rows (``history_write``); the
    objects get their primary keys.

    On PostgreSQL both are one statement (the history rows copied from what the insert
    returns): every order writes its lines this way, and two bulk inserts cost about a
    seventh of an API order's CPU.
    """
    if not objs:
        return
    history_model = model.history.model
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model._base_manager.bulk_create(objs)
        history_write(model, objs, history_type=CREATED, user=user, reason=reason)
        return
    date = timezone.now()
    user = user if getattr(user, "is_authenticated", False) else None
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    tracked = {f.attname for f in history_model.tracked_fields}
    copied = [f for f in history_model._meta.concrete_fields if f.attname in tracked]
    unknown = (
        {f.attname for f in history_model._meta.concrete_fields if f.attname not in tracked}
        - HISTORY_OWN
        - {"history_user_id"}
    )
    if unknown:  # a history field this copy would leave empty: write it the long way
        raise ValueError(f"{history_model.__name__} has fields {sorted(unknown)}.")
    quote = connection.ops.quote_name
    pk = model._meta.pk.column
    arrays = ", ".join(f"%s::{f.cast_db_type(connection)}[]" for f in fields)
    columns = [quote(f.column) for f in copied]
    own = ", ".join(
        quote(history_model._meta.get_field(name).column)
        for name in ("history_date", "history_change_reason", "history_type", "history_user")
    )
    sql = (
        f"WITH made AS (INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) SELECT * FROM unnest({arrays}) "
        f"RETURNING {', '.join(columns)}) "
        f"INSERT INTO {quote(history_model._meta.db_table)} ({', '.join(columns)}, {own}) "
        f"SELECT {', '.join(columns)}, %s, %s, %s, %s FROM made ORDER BY {quote(pk)} "
        f"RETURNING {quote(pk)}"
    )
    params = [
        [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs] for f in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, date, reason, CREATED, getattr(user, "pk", None)])
        # Keys are handed out in the order of the rows: sorted, they are the objects'.
        for obj, (key,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = key
            obj._state.adding = False
            obj._state.db = connection.alias


def delete_rows(model: type[models.Model], pks: Sequence) -> int:
    """Delete rows by primary key in one statement, sending no signals.

    For bulk paths that write the rows' history themselves (``history_write``); nothing
    may cascade from these rows.
    """
    if not pks:
        return 0
    queryset = model._base_manager.filter(pk__in=list(pks))
    return queryset._raw_delete(queryset.db)


def history_snapshot(
    model: type[models.Model],
    pks: Sequence,
    *,
    history_type: str,
    user=None,
    reason: str = "",
    date=None,
    chunk: int = 5000,
) -> int:
    """Append a history row per row ``pks`` names, copied by the database (INSERT … SELECT).

    For rows just written in bulk: nothing travels back and forth but the keys.
    """
    history_model = model.history.model
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    tracked = [quote(f.column) for f in history_model.tracked_fields]
    extra = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    when = connection.ops.adapt_datetimefield_value(date or timezone.now())
    written = 0
    with connection.cursor() as cursor:
        for condition, keys in key_chunks(
            pks, quote(model._meta.pk.column), chunk=chunk, db=connection
        ):
            cursor.execute(
                f"INSERT INTO {quote(history_model._meta.db_table)} "
                f"({', '.join([*tracked, *map(quote, extra)])}) "
                f"SELECT {', '.join(tracked)}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
                f"WHERE {condition}",
                [when, reason, history_type, user_id, *keys],
            )
            written += cursor.rowcount
    return written


class ClassOnceHistoryDescriptor(HistoryDescriptor):
    """simple-history's ``Model.history``, with its manager class built once per model.

    The stock descriptor builds a new manager class (``from_queryset``, which inspects
    every queryset method) on every access, and every saved row or bulk history write
    accesses it: about 0.3 ms each, several times per order.
    """

    def __get__(self, instance, owner):
        manager_class = self.__dict__.get("built_manager_class")
        if manager_class is None:
            manager_class = self.manager_class.from_queryset(self.queryset_class)
            self.built_manager_class = manager_class
        return manager_class(self.model, instance)


def build_history_managers_once() -> None:
    """Switch every model's history descriptor to ``ClassOnceHistoryDescriptor``."""
    for model in apps.get_models():
        for value in vars(model).values():
            if type(value) is HistoryDescriptor:
                value.__class__ = ClassOnceHistoryDescriptor


class ReadableChanges(HistoricalRecordContextHelper):
    """simple-history's "what changed" of a history row, in words staff read.

    Choices by their label ("Paid", not "paid"), related rows by name (the default passes
    the object, shown as its ``str``; a deleted one as "(deleted)"), amounts with
    ``money()``, flags as Yes/No, dates with ``when()``, nothing as an empty value.
    """

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        return readable_value(field, value)

    def stringify_delta_change_values(self, change, old, new):
        # Values here are short already; the default's shortening ("…") is for reprs.
        return conditional_escape(old), conditional_escape(new)


def readable_value(field, value) -> str:
    """The text of ``value`` of model ``field`` in a history page."""
    if value is None or value == "":
        return ""
    if isinstance(value, DeletedObject):
        return f"{capfirst(value.model._meta.verbose_name)} #{value.pk} (deleted)"
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DecimalField):
        return display.money(value)
    if isinstance(field, models.BooleanField):
        return "Yes" if value else "No"
    if isinstance(field, models.DateTimeField) and not isinstance(value, str):
        return display.when(value)
    return str(value)
