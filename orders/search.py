"""How staff find orders and customers: by order number, email start or name."""

import re

from django.db.models import Q

from foundation.search import name_query
from orders.models import ORDER_NUMBER_PREFIX, format_order_number

ORDER_NUMBER = re.compile(rf"^({ORDER_NUMBER_PREFIX.rstrip('-')}-?)?\d+$", re.IGNORECASE)


def order_number_query(term: str) -> Q | None:
    """ORD-000042, ORD-0000 (a prefix), or plain digits (42 means ORD-000042)."""
    term = term.strip()
    if not ORDER_NUMBER.match(term):
        return None
    if term.isdigit():
        return Q(number=format_order_number(int(term))) | Q(
            number__istartswith=f"{ORDER_NUMBER_PREFIX}{term}"
        )
    return Q(number__istartswith=term)


def person_query(term: str, prefix: str = "") -> Q:
    """A customer by the start of their email (with or without @) or by the words of a name."""
    query = name_query(term, f"{prefix}first_name", f"{prefix}last_name")
    if term and " " not in term.strip():
        query |= Q(**{f"{prefix}email__istartswith": term.strip().lower()})
    return query
