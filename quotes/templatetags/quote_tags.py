from __future__ import annotations

from decimal import Decimal

from django import template

from quotes.typography import euros, hours_fr, number_fr

register = template.Library()


@register.filter(name="euros")
def euros_filter(value: Decimal | str | int | None) -> str:
    """``"12345.6"`` → ``12 345,60 €`` (French separators, no-break spaces)."""
    return "" if value is None or value == "" else euros(value)


@register.filter
def number(value: Decimal | str | int | None, places: int = 2) -> str:
    return "" if value is None or value == "" else number_fr(value, places)


@register.filter
def rate(value: Decimal | str | None) -> str:
    """A VAT rate: ``"10.00"`` → ``10 %``, ``"5.50"`` → ``5,5 %``."""
    if value is None or value == "":
        return ""
    text = f"{Decimal(str(value)).normalize():f}".replace(".", ",")
    return f"{text}\u00a0%"


@register.filter
def hours(value: Decimal | str | int | None) -> str:
    """Decimal hours of the price tables as said: ``"4.50"`` → ``4 h 30``."""
    return "" if value is None or value == "" else hours_fr(value)
