from __future__ import annotations

from django import template

from dashboard import panels

register = template.Library()


@register.filter
def hours(minutes: int | None) -> str:
    """Minutes as hours with one decimal, French-style in French (``12,5``)."""
    return panels.hours(minutes)


@register.filter
def percent(share: float | None) -> str:
    return panels.percent(share)


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    return mapping.get(key, "")
