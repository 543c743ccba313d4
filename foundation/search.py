"""Search helpers for large lists: one indexed predicate per kind of term.

Django's admin search ORs every search field for every word, across joins, which
PostgreSQL can only answer by reading the whole table. Each app's admin looks at what the
staff member typed (an order number, an email, a SKU, a name) and searches the one column
that can answer it, through its index; these are the pieces they share.
"""

from django.db.models import Q

# More words than anybody types into a search box; a pasted paragraph is cut here.
MAX_WORDS = 10


def words(term: str) -> list[str]:
    """Return the words of ``term`` (at most MAX_WORDS)."""
    return term.split()[:MAX_WORDS]


def name_query(term: str, *fields: str) -> Q:
    """Every word must appear in one of ``fields`` (like Django's admin search)."""
    query = Q()
    for word in words(term):
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        query &= any_field
    return query
