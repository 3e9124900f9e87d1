from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.forms import BoundField
from django.utils.formats import date_format, number_format
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from visits.forms import ROOM_FREQUENCIES
from visits.steps import localised

register = template.Library()


@register.filter
def unit(field: BoundField) -> str:
    return str(field.field.widget.attrs.get("data-unit", ""))


@register.filter
def duration(minutes: int | float | None) -> str:
    """Minutes as French-style hours: 210 → "3 h 30", 120 → "2 h", 45 → "45 min"."""
    if minutes is None:
        return "—"
    total = round(minutes)
    hours, rest = divmod(total, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


@register.filter
def minutes(value: float) -> str:
    """A line of the estimate's breakdown, to the minute ("4 min", not "3,75 min"); the
    total below it is rounded to the quarter hour anyway."""
    if 0 < value < 0.5:
        return _("under 1 min")
    whole = Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{whole} min"


@register.filter
def answer_display(value: Any, question: dict[str, Any]) -> str:
    """A stored answer as the person reads it (choice labels, Oui/Non, units)."""
    if value in (None, "", []):
        return "—"
    kind = question["type"]
    if kind in ("choice", "multi_choice"):
        labels = {c["value"]: localised(c) for c in question["choices"]}
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, str(v)) for v in values)
    if kind == "yes_no":
        return _("Yes") if value == "yes" else _("No")
    if kind == "number":
        text = number_format(value)
        return f"{text} {question['unit']}".strip()
    if kind == "date":
        return iso_date(value)
    return str(value)


@register.filter
def label(item: dict[str, Any]) -> str:
    return localised(item)


@register.simple_tag
def frequency_options(selected: str) -> SafeString:
    """The ``<option>`` list of a room task's frequency, ``selected`` chosen.

    Built here rather than with a template loop: a room has a dozen tasks, a page up to
    forty rooms plus one template per room type, and the loop was most of the page's time.
    """
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, " selected" if value == selected else "", text)
            for value, text in ROOM_FREQUENCIES
        ),
    )


@register.filter
def iso_date(value: str) -> str:
    """An ISO date of stored data as read in French: "2027-01-05" → "5 janvier 2027"."""
    try:
        return date_format(date.fromisoformat(str(value)), "DATE_FORMAT")
    except ValueError:
        return str(value)
