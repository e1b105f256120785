"""Template filters for numbers: ``{% load numbers %}``, then ``{{ claim.amount|amount }}`` or ``{{ n|grouped }}``."""

from django import template

from portal import numbers

register = template.Library()


@register.filter
def amount(value) -> str:
    """Yuan with thousands separators and two decimals: 1,120.00."""
    return numbers.amount(value)


@register.filter
def grouped(value, decimals=0) -> str:
    """Thousands separators and ``decimals`` places (none by default: headcounts): 12,345."""
    try:
        places = int(decimals)
    except (TypeError, ValueError):
        places = 0
    return numbers.grouped(value, places)
