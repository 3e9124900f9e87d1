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
