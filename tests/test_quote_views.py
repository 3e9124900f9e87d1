"""Quote pages: from the visit summary to an issued quote and its contract, as pages and
as htmx partials, and another agency's quote answering 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from organisation.models import Agency, User
from quotes.models import Quote, QuoteStatus
from tests.factories import AgencyFactory, make_price_list, make_visit_ready_to_quote

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_it_goes_from_the_summary_to_an_issued_quote_and_a_contract(
    client: Client, advisor: User, agency: Agency
) -> None:
    make_price_list(agency.brand)
    visit = make_visit_ready_to_quote(agency)
    client.force_login(advisor)
    summary = client.get(reverse("visits:visit_step", args=[visit.pk, "summary"]))
    assert "Établir le devis" in summary.content.decode()

    response = client.post(reverse("quotes:quote_start", args=[visit.pk]))
    quote = Quote.objects.get(visit=visit)
    assert response.status_code == 303
    assert response["Location"] == reverse("quotes:quote_detail", args=[quote.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200 and "HX-Request" in page["Vary"]
    assert "Émettre le devis" in page.content.decode()

    partial = client.post(reverse("quotes:quote_issue", args=[quote.pk]), **HTMX)
    body = partial.content.decode()
    quote.refresh_from_db()
    assert partial.status_code == 200 and "<html" not in body
    assert quote.status == QuoteStatus.ISSUED and quote.number in body
    assert "Créer le contrat" in body

    client.post(reverse("quotes:contract_create", args=[quote.pk]), {"early_start_requested": "on"})
    assert quote.contract.early_start_requested
    pdf = client.get(reverse("quotes:contract_pdf", args=[quote.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["X-Content-SHA256"] == quote.documents.get(kind="contract").sha256


def test_it_answers_a_clear_error_for_a_visit_without_estimate(
    client: Client, advisor: User, agency: Agency
) -> None:
    make_price_list(agency.brand)
    visit = make_visit_ready_to_quote(agency)
    visit.status = "in_progress"
    visit.save()
    client.force_login(advisor)
    response = client.post(reverse("quotes:quote_start", args=[visit.pk]))
    assert response.status_code == 422
    assert "Confirmez l’estimation" in response.content.decode()
    assert not Quote.objects.exists()


def test_it_hides_another_agencys_quote(client: Client, advisor: User) -> None:
    other = AgencyFactory()
    make_price_list(other.brand)
    visit = make_visit_ready_to_quote(other)
    client.force_login(advisor)
    assert client.post(reverse("quotes:quote_start", args=[visit.pk])).status_code == 404
    assert not Quote.objects.exists()
    from quotes.services import quote_create_draft

    quote = quote_create_draft(visit=visit, user=None)
    for name in ("quote_detail", "quote_pdf"):
        assert client.get(reverse(f"quotes:{name}", args=[quote.pk])).status_code == 404
    assert client.post(reverse("quotes:quote_issue", args=[quote.pk])).status_code == 404
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT
