from datetime import UTC, date, datetime
from decimal import Decimal

from django.template import Context, Template

from foundation.display import money, when


def test_money_puts_the_store_currency_on_every_amount(settings):
    settings.STORE_CURRENCY = "EUR"
    assert money(Decimal("1234.5")) == "€1,234.50"
    assert money(Decimal("-5")) == "-€5.00"
    assert money(Decimal("5"), signed=True) == "+€5.00"
    assert money(None) == "—"
    settings.STORE_CURRENCY = "CHF"
    assert money("12.3") == "12.30 CHF"


def test_one_date_format_for_moments_and_days(settings):
    settings.TIME_ZONE = "Europe/Paris"
    assert when(datetime(2026, 11, 21, 7, 32, tzinfo=UTC)) == "21 Nov 2026, 08:32"
    assert when(date(2026, 7, 5)) == "5 Jul 2026"
    assert when(None) == "—"


def test_template_filters(settings):
    settings.STORE_CURRENCY = "USD"
    out = Template("{% load display %}{{ a|money }} {{ d|when }} {% currency %}").render(
        Context({"a": Decimal("3"), "d": date(2026, 1, 2)})
    )
    assert out == "$3.00 2 Jan 2026 USD"
