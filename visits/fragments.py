"""Parts of the step pages that depend only on the catalogue and the language, rendered once.

The rooms step carries one empty ``<template>`` row per room type, so that the tablet can
add a room without the network. Those rows are the same for every visit on the same
catalogue versions: they are rendered once per catalogue and language and kept with the
catalogue's other cached reads (``nomad_web.request_cache``, family ``catalogue``), which
an edit of the catalogue in the admin invalidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from nomad_web.request_cache import cached
from visits.forms import RoomsForm


def room_templates_html(*, catalogues: Sequence[dict[str, Any]], rooms: RoomsForm) -> SafeString:
    """The ``<template data-room-template>`` rows of the room types of ``catalogues``."""
    ids = "-".join(str(c["id"]) for c in catalogues)

    def render() -> SafeString:
        return render_to_string("visits/partials/room_templates.html", {"rooms": rooms})

    return cached("catalogue", f"room-templates:{ids}:{get_language()}", render)
