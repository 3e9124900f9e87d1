"""French typography for documents: amounts as ``12 345,67 €`` and the spaces French
puts before ``: ; ! ?`` and inside « », made non-breaking so a line never starts with
a colon or a euro sign."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"  # before ":" and "€", inside « »
NNBSP = "\u202f"  # narrow: before ; ! ? and as thousands separator

_TEXT = re.compile(r">([^<]+)<")
_BEFORE_COLON = re.compile(r" :(?=\s|$)")
_OPEN_QUOTE = re.compile(r"« ?")
_CLOSE_QUOTE = re.compile(r" ?»")


def number_fr(value: Decimal | str | int, places: int = 2) -> str:
    """``12345.6`` → ``12 345,60`` (narrow no-break space between thousands)."""
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    whole, _, fraction = f"{abs(number):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = NNBSP.join(groups)
    return f"{sign}{text},{fraction}" if places else f"{sign}{text}"


def euros(value: Decimal | str | int) -> str:
    return f"{number_fr(value)}{NBSP}€"


def _fix_text(text: str) -> str:
    # Only where a space was written: "Date :" becomes "Date\u00a0:", and "http://" stays.
    text = _BEFORE_COLON.sub(NBSP + ":", text)
    text = re.sub(r" ([;!?])(?=\s|$)", NNBSP + r"\1", text)
    text = _OPEN_QUOTE.sub("«" + NBSP, text)
    text = _CLOSE_QUOTE.sub(NBSP + "»", text)
    return text


def french_typography(html: str) -> str:
    """Apply the French spacing rules to the text between tags (never to the markup)."""
    return _TEXT.sub(lambda m: ">" + _fix_text(m.group(1)) + "<", html)


def rate_fr(value: Decimal | str | int) -> str:
    """A VAT rate: ``"10.00"`` → ``10 %``, ``"5.50"`` → ``5,5 %``."""
    text = f"{Decimal(str(value)).normalize():f}".replace(".", ",")
    return f"{text}{NBSP}%"


def hours_fr(value: Decimal | str | int) -> str:
    """Decimal hours as said in French: ``"4.50"`` → ``4 h 30``, ``"2"`` → ``2 h``,
    ``"0.75"`` → ``45 min`` (to the nearest minute; no-break spaces)."""
    minutes = int((Decimal(str(value)) * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}{NBSP}min"
    return f"{hours}{NBSP}h{NBSP}{rest:02d}" if rest else f"{hours}{NBSP}h"


def date_fr(value: str) -> str:
    """An ISO date of the document model: ``"2026-12-01"`` → ``01/12/2026``."""
    year, month, day = str(value)[:10].split("-")
    return f"{day}/{month}/{year}"


def text_lines(value: str) -> list[str]:
    """The non-empty lines of a text (an address typed on several lines)."""
    return [line.strip() for line in str(value).splitlines() if line.strip()]
