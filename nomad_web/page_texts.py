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

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _


def counted(text: Callable[[int], str]) -> dict[str, str]:
    """Both forms of a text with a count ``%(n)s`` (``text`` calls ``ngettext`` with its
    count, so that makemessages sees the strings); the script picks the form its count
    takes in the page's language (``Intl.PluralRules``: "one" or "other")."""
    return {"one": text(1), "other": text(2)}


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
        "conflicts": counted(
            lambda n: ngettext("%(n)s conflict to resolve", "%(n)s conflicts to resolve", n)
        ),
        "rejected": counted(
            lambda n: ngettext(
                "%(n)s entry refused: correct it", "%(n)s entries refused: correct them", n
            )
        ),
        "prepared": _("available offline"),
        "conflict": _("conflict"),
        "preparing": _("Preparing…"),
        "prepared_n": counted(
            lambda n: ngettext("%(n)s visit ready offline.", "%(n)s visits ready offline.", n)
        ),
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
        "logoutWaiting": counted(
            lambda n: ngettext(
                "%(n)s entry has not reached the server yet: it stays on this tablet. Sign "
                "out once it is sent (or correct it if it was refused).",
                "%(n)s entries have not reached the server yet: they stay on this tablet. "
                "Sign out once they are sent (or correct the refused ones).",
                n,
            )
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
