"""The words the page's scripts need, in the user's language, as JSON for a data attribute.

Every signed-in page carries the sync indicator's texts (static/js/app.js), the French form
checks (static/js/validation.js) and the pending list's texts (static/js/pending.js). They
depend on the language only, and translations change only with a deploy (a new process):
each JSON is built once per language and process (``once_per_language``). ``json.dumps``
escapes what a translation may hold (quotes, backslashes); the template's autoescape then
makes it safe in the attribute.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.utils.translation import get_language
from django.utils.translation import gettext as _


def once_per_language(build: Callable[[], dict[str, object]]) -> Callable[[], str]:
    """``json.dumps(build())``, computed once per language."""
    by_language: dict[str, str] = {}

    def as_json() -> str:
        language = get_language() or ""
        text = by_language.get(language)
        if text is None:
            text = by_language[language] = json.dumps(build(), ensure_ascii=False)
        return text

    as_json.__name__ = f"{build.__name__}_json"
    return as_json


def sync_texts() -> dict[str, object]:
    """The sync indicator beside the sign-out button (static/js/app.js)."""
    return {
        "online": _("Online"),
        "offline": _("Offline"),
        "waiting": _("%(n)s waiting"),
        "lastSuccess": _("sent at %(time)s"),
        "lastError": _("last error: %(error)s"),
        "needsLogin": _("Sign in again to send"),
        "conflicts": _("%(n)s conflict(s) to resolve"),
        "rejected": _("%(n)s entry(ies) refused: correct them"),
        "prepared": _("available offline"),
        "conflict": _("conflict"),
        "preparing": _("Preparing…"),
        "prepared_n": _("%(n)s visit(s) ready offline."),
        "prepareFailed": _("Preparation interrupted; try again."),
        "prepareNeedsNetwork": _(
            "Preparing needs the network: do it where there is coverage (what is already "
            "prepared stays available)."
        ),
        "prepareNoSpace": _(
            "Not enough space on this tablet to prepare (%(free)s free): prepare the day rather "
            "than the week, or free some space."
        ),
        "slow": _("Slow network"),
        "pendingList": _("See what waits"),
        "serverError": _(
            "Server error on an entry: it is kept and retried; if it lasts, contact support"
        ),
        "logoutOffline": _(
            "Signing out needs the network. Nothing was erased: what you entered stays on this "
            "tablet."
        ),
        "logoutWaiting": _(
            "%(n)s entry(ies) have not reached the server yet: they stay on this tablet. Sign "
            "out once they are sent (or correct the refused ones)."
        ),
    }


def validation_texts() -> dict[str, object]:
    """The form checks made on the device before a submit (static/js/validation.js)."""
    return {
        "required": _("This field is required."),
        "choose": _("Choose one of the options."),
        "tick": _("Tick this box to go on."),
        "chooseOne": _("Choose at least one."),
        "number": _("Enter a number."),
        "email": _("Enter a valid email address."),
        "url": _("Enter a valid web address."),
        "invalid": _("Enter a valid value."),
        "min": _("Enter a value greater than or equal to %(min)s."),
        "max": _("Enter a value less than or equal to %(max)s."),
        "step": _("Enter a value in steps of %(step)s."),
        "tooShort": _("Enter at least %(n)s characters."),
        "tooLong": _("Enter at most %(n)s characters."),
        "pattern": _("Enter a value in the expected format."),
    }


sync_texts_json = once_per_language(sync_texts)
validation_texts_json = once_per_language(validation_texts)
