from __future__ import annotations

from django.http import HttpRequest

from nomad_web.page_texts import sync_texts_json, validation_texts_json
from visits.offline_texts import pending_texts_json


def page_texts(request: HttpRequest) -> dict[str, object]:
    """The scripts' texts as JSON (``nomad_web.page_texts``), built once per language.

    Handed as callables: the template calls each only where it draws it.
    """
    return {
        "sync_texts_json": sync_texts_json,
        "validation_texts_json": validation_texts_json,
        "pending_texts_json": pending_texts_json,
    }
