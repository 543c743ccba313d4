"""Search helpers for large lists: one indexed predicate per kind of term.

Django's admin search ORs every search field for every word, across joins, which
PostgreSQL can only answer by reading the whole table. These helpers look at what the
staff member typed (an order number, an email, a SKU, a name) and search the one
column that can answer it, through its index (migrations add the PostgreSQL indexes).
"""

import re

from django.db.models import Q

ORDER_NUMBER = re.compile(r"^(ord-?)?\d+$", re.IGNORECASE)


def words(term: str) -> list[str]:
    return [word for word in term.split() if word]


def name_query(term: str, *fields: str) -> Q:
    """Every word must appear in one of ``fields`` (like Django's admin search)."""
    query = Q()
    for word in words(term):
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        query &= any_field
    return query


def order_number_query(term: str) -> Q | None:
    """ORD-000042, ORD-0000 (a prefix), or plain digits (42 means ORD-000042)."""
    term = term.strip()
    if not ORDER_NUMBER.match(term):
        return None
    if term.isdigit():
        return Q(number=f"ORD-{int(term):06d}") | Q(number__istartswith=f"ORD-{term}")
    return Q(number__istartswith=term)


def person_query(term: str, prefix: str = "") -> Q:
    """A customer by the start of their email (with or without @) or by the words of a name."""
    query = name_query(term, f"{prefix}first_name", f"{prefix}last_name")
    if term and " " not in term.strip():
        query |= Q(**{f"{prefix}email__istartswith": term.strip().lower()})
    return query
