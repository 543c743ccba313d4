"""``{% load display %}``: ``{{ amount|money }}`` and ``{{ moment|when }}`` in templates."""

from django import template

from foundation import display

register = template.Library()


@register.filter
def money(amount) -> str:
    return display.money(amount)


@register.filter
def when(moment) -> str:
    return display.when(moment)


@register.simple_tag
def currency() -> str:
    return display.currency()
