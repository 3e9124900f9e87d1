"""The words the tablet's pending list (static/js/pending.js) needs, in the user's language:
shared by the pending page and the panel under the sync indicator."""

from __future__ import annotations

from django.utils.translation import gettext as _

from nomad_web.page_texts import once_per_language
from visits.steps import STEPS


def pending_texts() -> dict[str, object]:
    return {
        "visit": _("Visit"),
        "open": _("Open to correct"),
        "discard": _("Discard"),
        "discardConfirm": _(
            "Discard for good, from this tablet: %(what)s? What was entered there will be lost."
        ),
        "waiting": _("Waiting to be sent"),
        "sending": _("Sending…"),
        "waitingFor": _("Waiting for: %(what)s"),
        "nextTry": _("Next try at %(time)s"),
        "refused": _("Refused by the server: %(message)s"),
        "conflict": _("Conflict: %(message)s"),
        "serverError": _("Server error: try again, or contact support if it lasts"),
        "storage": _("Storage used on this tablet: %(used)s MB of %(quota)s MB."),
        "steps": {
            **{s.key: str(s.label) for s in STEPS},
            "visit": _("New visit"),
            "quote": _("Quote"),
            "contract": _("Contract"),
            "signature": _("Signature"),
        },
    }


pending_texts_json = once_per_language(pending_texts)
