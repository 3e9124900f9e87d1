"""Unicode bidirectional controls: refused in what people type, removed where text is
taken as it comes.

These invisible characters reorder what is displayed ("Trojan source"): a name or an
address holding U+202E reads differently on the quote than it is stored, and an
evidence file could show a name the client never typed. No French name, address or
note needs them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

BIDI_CONTROLS = frozenset(
    "\u061c"  # Arabic letter mark
    "\u200e\u200f"  # left-to-right and right-to-left marks
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings, pop, overrides
    "\u2066\u2067\u2068\u2069"  # isolates
)
_STRIP = {ord(c): None for c in BIDI_CONTROLS}
BIDI_MESSAGE = _(
    "This text holds invisible direction-control characters (often pasted from another "
    "application): type it again without them."
)


def has_bidi_controls(value: Any) -> bool:
    if isinstance(value, str):
        return not BIDI_CONTROLS.isdisjoint(value)
    if isinstance(value, list | tuple):
        return any(has_bidi_controls(v) for v in value)
    return False


def without_bidi_controls(value: str) -> str:
    return value.translate(_STRIP)


class BidiControlsRefused(forms.BaseForm):
    """A form mixin: a field whose text holds a bidirectional control gets an error."""

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        for name, value in list(data.items()):
            if has_bidi_controls(value):
                self.add_error(name, BIDI_MESSAGE)
        return data
