from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from organisation.models import User

pytestmark = pytest.mark.django_db


def test_it_speaks_french_by_default_and_english_on_request(client: Client, advisor: User) -> None:
    client.force_login(advisor)
    assert "Mon agenda" in client.get(reverse("visits:agenda")).content.decode()

    client.post(reverse("set_language"), {"language": "en", "next": "/agenda/"})
    page = client.get(reverse("visits:agenda")).content.decode()
    assert '<html lang="en">' in page
    assert "My agenda" in page


def test_a_quote_is_signe_and_a_visit_signee() -> None:
    # One English word, two French agreements: "un devis signé", "une visite signée".
    from django.utils import translation

    from quotes.models import QuoteStatus
    from visits.models import VisitStatus

    with translation.override("fr"):
        assert str(QuoteStatus.SIGNED.label) == "Signé"
        assert str(VisitStatus.SIGNED.label) == "Signée"


def _french_catalogue() -> list[tuple[str, list[str], list[str]]]:
    """(msgid, translations, flags) of each live entry of the French catalogue, read with
    gettext's own msgattrib tool (the .po is what translators edit)."""
    import re
    import subprocess
    from pathlib import Path

    po = Path(__file__).resolve().parent.parent / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    text = subprocess.run(
        ["msgattrib", "--no-obsolete", "--no-wrap", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    entries = []
    for block in text.split("\n\n")[1:]:  # the first block is the header
        msgid = re.search(r'^msgid "(.*)"$', block, re.M)
        if msgid is None:
            continue
        translations = re.findall(r'^msgstr(?:\[\d\])? "(.*)"$', block, re.M)
        flags = re.findall(r"^#, (.*)$", block, re.M)
        entries.append((msgid.group(1), translations, flags))
    return entries


def test_the_french_catalogue_is_complete_and_says_plurals_in_words() -> None:
    # Every English text has its French, none is a guess left fuzzy by makemessages, and
    # a count is said with ngettext ("2 visites"), never as "visite(s)".
    entries = _french_catalogue()
    assert len(entries) > 500
    untranslated = [m for m, forms, _ in entries if not all(forms)]
    fuzzy = [m for m, _, flags in entries if any("fuzzy" in f for f in flags)]
    hedged = [m for m, forms, _ in entries if any("(s)" in f or "(es)" in f for f in forms)]
    assert untranslated == [] and fuzzy == [] and hedged == []
