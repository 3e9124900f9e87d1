"""Quote and contract services: from a visit to a numbered, frozen quote, revisions,
expiry, contracts, emails, and the bad input that must issue nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail

from organisation.models import Agency
from quotes.models import Contract, Document, Quote, QuoteCounter, QuoteStatus
from quotes.pricing import price, priced_as_json
from quotes.services import (
    QuoteError,
    contract_create,
    quote_create_draft,
    quote_expire_due,
    quote_issue,
    quote_minutes_per_activity,
    quote_revise,
    quote_set_status,
)
from tests.factories import AgencyFactory, make_price_list, make_visit_ready_to_quote
from visits.models import VisitStatus

pytestmark = pytest.mark.django_db
DAY = date(2026, 12, 1)


@pytest.fixture
def priced_agency(agency: Agency) -> Agency:
    make_price_list(agency.brand)
    return agency


def test_it_builds_a_draft_from_the_visit_and_the_price_list(priced_agency: Agency) -> None:
    visit = make_visit_ready_to_quote(priced_agency, dependent_children=1)
    quote = quote_create_draft(visit=visit, user=None, on=DAY)
    assert quote.status == QuoteStatus.DRAFT and quote.number == ""
    assert quote.valid_until == date(2026, 12, 31)
    line = quote.figures["lines"][0]
    # 3 h a week at 24.50 HT: 13 h a month, 318.50 HT, 31.85 VAT.
    assert (line["minutes_per_week"], line["monthly_ht"], line["monthly_vat"]) == (
        180,
        "318.50",
        "31.85",
    )
    assert quote.figures == priced_as_json(price(quote.pricing_input))
    assert quote.figures["tax_credit"]["cap"] == "13500.00"
    assert quote.parties["company"]["sap_number"] == priced_agency.brand.sap_number


def test_it_splits_the_advisor_figure_in_proportion_to_the_estimate(agency: Agency) -> None:
    visit = make_visit_ready_to_quote(
        agency, minutes={"housekeeping": 180, "gardening": 120}, proposed=400
    )
    # 400 × 180/300 = 240; gardening takes the rest.
    assert quote_minutes_per_activity(visit=visit) == {"housekeeping": 240, "gardening": 160}


def test_it_numbers_issued_quotes_per_brand_and_year_and_marks_the_visit_quoted(
    priced_agency: Agency, django_capture_on_commit_callbacks: Any
) -> None:
    numbers = []
    for _ in range(3):
        visit = make_visit_ready_to_quote(priced_agency)
        with django_capture_on_commit_callbacks(execute=True):
            quote = quote_issue(quote=quote_create_draft(visit=visit, user=None, on=DAY), on=DAY)
        numbers.append(quote.number)
        visit.refresh_from_db()
        assert visit.status == VisitStatus.QUOTED
    prefix = priced_agency.brand.quote_prefix
    assert numbers == [f"{prefix}-2026-{n:06d}" for n in (1, 2, 3)]
    # Another year starts again at 1.
    visit = make_visit_ready_to_quote(priced_agency)
    next_year = quote_issue(
        quote=quote_create_draft(visit=visit, user=None, on=date(2027, 1, 4)), on=date(2027, 1, 4)
    )
    assert next_year.number == f"{prefix}-2027-000001"


def test_it_refuses_to_change_an_issued_quote(priced_agency: Agency) -> None:
    quote = quote_issue(
        quote=quote_create_draft(visit=make_visit_ready_to_quote(priced_agency), user=None)
    )
    with pytest.raises(QuoteError, match="révisez-le"):
        quote_issue(quote=quote)
    assert QuoteCounter.objects.get().last == 1


def test_it_revises_with_the_same_number_and_the_next_version(priced_agency: Agency) -> None:
    visit = make_visit_ready_to_quote(priced_agency)
    first = quote_issue(quote=quote_create_draft(visit=visit, user=None, on=DAY), on=DAY)
    visit.refresh_from_db()
    visit.proposed_minutes = 240
    visit.save()
    draft = quote_revise(quote=first, user=None, on=DAY)
    assert quote_revise(quote=first, user=None, on=DAY) == draft  # asked twice: one draft
    second = quote_issue(quote=draft, on=DAY)
    first.refresh_from_db()
    assert (second.number, second.version) == (first.number, 2)
    assert second.reference == f"{first.number}-v2"
    assert first.status == QuoteStatus.SUPERSEDED
    assert second.figures["lines"][0]["minutes_per_week"] == 240
    assert first.figures["lines"][0]["minutes_per_week"] == 180  # the issued one never changed
    assert QuoteCounter.objects.get().last == 1  # a revision consumes no number


def test_it_uses_the_agency_list_over_the_brand_list_and_the_list_in_force(
    agency: Agency,
) -> None:
    make_price_list(agency.brand, effective_to=date(2026, 6, 30), housekeeping="20.00")
    make_price_list(agency.brand, effective_from=date(2026, 7, 1), housekeeping="22.00")
    visit = make_visit_ready_to_quote(agency)
    assert (
        quote_create_draft(visit=visit, user=None, on=date(2026, 6, 30)).figures["lines"][0][
            "hourly_price_ht"
        ]
        == "20.00"
    )
    assert (
        quote_create_draft(visit=visit, user=None, on=DAY).figures["lines"][0]["hourly_price_ht"]
        == "22.00"
    )
    make_price_list(agency.brand, agency=agency, housekeeping="26.00")
    assert (
        quote_create_draft(visit=visit, user=None, on=DAY).figures["lines"][0]["hourly_price_ht"]
        == "26.00"
    )


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no_list", "Aucune grille tarifaire n’est en vigueur"),
        ("no_gardening_price", "n’a pas de prix pour Jardinage"),
        ("no_estimate", "Confirmez l’estimation"),
        ("negative", "supérieur à zéro"),
        ("absurd", "pas un service à domicile"),
    ],
)
def test_it_issues_nothing_on_bad_input(agency: Agency, setup: str, message: str) -> None:
    if setup != "no_list":
        make_price_list(agency.brand, gardening=None if setup == "no_gardening_price" else "30.00")
    minutes = {"housekeeping": 120, "gardening": 60} if setup == "no_gardening_price" else None
    visit = make_visit_ready_to_quote(agency, minutes=minutes)
    if setup == "no_estimate":
        visit.status, visit.estimate = VisitStatus.IN_PROGRESS, None
    if setup == "negative":
        visit.proposed_minutes, visit.estimated_minutes = 0, 0
    if setup == "absurd":
        visit.proposed_minutes = 61 * 60
    visit.save()
    with pytest.raises(QuoteError, match=message):
        quote_create_draft(visit=visit, user=None, on=DAY)
    assert not Quote.objects.exists()
    assert not QuoteCounter.objects.exists()


def test_it_refuses_to_issue_when_the_price_list_ended_since_the_draft(agency: Agency) -> None:
    make_price_list(agency.brand, effective_to=date(2026, 12, 1))
    draft = quote_create_draft(visit=make_visit_ready_to_quote(agency), user=None, on=DAY)
    with pytest.raises(QuoteError, match="Aucune grille tarifaire"):
        quote_issue(quote=draft, on=date(2026, 12, 2))
    draft.refresh_from_db()
    assert draft.status == QuoteStatus.DRAFT and not draft.number
    assert not QuoteCounter.objects.filter(last__gt=0).exists()  # no number consumed


def test_it_expires_issued_quotes_past_their_validity(priced_agency: Agency) -> None:
    quote = quote_issue(
        quote=quote_create_draft(visit=make_visit_ready_to_quote(priced_agency), user=None, on=DAY),
        on=DAY,
    )
    assert quote_expire_due(today=date(2026, 12, 31)) == 0  # the last valid day
    assert quote_expire_due(today=date(2027, 1, 1)) == 1
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.EXPIRED
    with pytest.raises(QuoteError):
        quote_set_status(quote=quote, status=QuoteStatus.SIGNED)


def test_it_schedules_the_expiry_with_beat(settings: Any) -> None:
    from quotes.tasks import expire_due_quotes

    entry = settings.CELERY_BEAT_SCHEDULE["expire-due-quotes"]
    assert entry["task"] == expire_due_quotes.name


def test_it_makes_the_contract_and_emails_both_documents_with_their_pdf(
    priced_agency: Agency, django_capture_on_commit_callbacks: Any
) -> None:
    visit = make_visit_ready_to_quote(priced_agency)
    with django_capture_on_commit_callbacks(execute=True):
        quote = quote_issue(quote=quote_create_draft(visit=visit, user=None, on=DAY), on=DAY)
    with django_capture_on_commit_callbacks(execute=True):
        contract = contract_create(quote=quote, user=None, early_start_requested=True)
    assert contract.general_terms.version == "2026-2"
    documents = {d.kind: d for d in Document.objects.filter(quote=quote)}
    assert set(documents) == {"quote", "contract"}
    assert all(d.emailed_at and len(d.sha256) == 64 for d in documents.values())
    assert [m.to for m in mail.outbox] == [[visit.prospect.email]] * 2
    assert mail.outbox[0].attachments[0][0] == f"devis-{quote.number}.pdf"
    assert mail.outbox[1].attachments[0][2] == "application/pdf"
    with pytest.raises(QuoteError, match="déjà son contrat"):
        contract_create(quote=quote, user=None, early_start_requested=False)
    with pytest.raises(QuoteError, match="ne peut plus être révisé"):
        quote_revise(quote=quote, user=None)


def test_it_refuses_a_contract_for_a_draft(priced_agency: Agency) -> None:
    draft = quote_create_draft(visit=make_visit_ready_to_quote(priced_agency), user=None)
    with pytest.raises(QuoteError, match="d’après un devis émis"):
        contract_create(quote=draft, user=None, early_start_requested=False)
    assert not Contract.objects.exists()


def test_it_numbers_each_brand_on_its_own(priced_agency: Agency) -> None:
    other = AgencyFactory()
    make_price_list(other.brand)
    a = quote_issue(
        quote=quote_create_draft(visit=make_visit_ready_to_quote(priced_agency), user=None)
    )
    b = quote_issue(quote=quote_create_draft(visit=make_visit_ready_to_quote(other), user=None))
    assert a.sequence == b.sequence == 1 and a.number != b.number
    assert Decimal(a.figures["monthly"]["ttc"]) > 0
