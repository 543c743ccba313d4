"""How amounts and moments read on every page: one currency, one date format.

The store has one currency (setting ``STORE_CURRENCY``, default EUR); every amount shown
to staff goes through ``money`` so that a list, a dashboard card and an invoice agree.
Moments go through ``when``: the site's time zone and the one date format of
``backoffice/formats`` ("21 Nov 2026, 08:32").
"""

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils import formats, timezone

# Currencies whose symbol staff expect before the amount; any other code follows it.
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "AUD": "A$", "CAD": "C$"}


def currency() -> str:
    return settings.STORE_CURRENCY


def money(amount: Decimal | int | float | str | None, *, signed: bool = False) -> str:
    """``€1,234.50`` (or ``1,234.50 CHF``); ``—`` for no amount. ``signed`` adds ``+``."""
    if amount is None or amount == "":
        return "—"
    value = Decimal(str(amount))
    digits = f"{abs(value):,.2f}"
    code = currency()
    symbol = SYMBOLS.get(code)
    text = f"{symbol}{digits}" if symbol else f"{digits} {code}"
    if value < 0:
        return f"-{text}"
    return f"+{text}" if signed and value > 0 else text


def when(moment: datetime | date | None, *, with_time: bool = True) -> str:
    """A moment in the site's time zone and the one date format; ``—`` for none."""
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return formats.date_format(moment, "DATETIME_FORMAT" if with_time else "DATE_FORMAT")
    return formats.date_format(moment, "DATE_FORMAT")
