"""A client signs on the tablet with the network cut; the signed PDF reaches the server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from organisation.models import Role
from quotes.legal_defaults import legal_texts_load
from quotes.models import Document, DocumentKind, LegalText
from quotes.services import contract_create, quote_create_draft, quote_issue
from signatures.models import SignatureRequest, SignatureStatus
from signatures.seal import seal_validate
from tests.browser.offline_helpers import (
    draw_signature,
    prepare_day,
    ready,
    records,
    sign_in,
    wait_until_sent,
)
from tests.factories import AgencyFactory, UserFactory, make_price_list, make_visit_ready_to_quote

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_signs_offline_then_the_server_seals_it(
    page: Page,
    context: BrowserContext,
    live_server,  # type: ignore[no-untyped-def]
) -> None:
    # Browser tests flush the database between tests, data migrations included.
    legal_texts_load(LegalText)
    agency = AgencyFactory()
    make_price_list(agency.brand)
    advisor = UserFactory(role=Role.ADVISOR, agencies=[agency], email="camille@example.test")
    visit = make_visit_ready_to_quote(
        agency, first_name="Élise", last_name="Dumont", email="elise@example.test"
    )
    visit.advisor = advisor
    visit.save()
    quote = quote_issue(quote=quote_create_draft(visit=visit, user=None))
    contract = contract_create(quote=quote, user=None, early_start_requested=False)
    base = live_server.url

    sign_in(page, base, advisor.email)
    prepare_day(page)
    context.set_offline(True)
    page.goto(f"{base}/signatures/contrats/{contract.pk}/tablette/")
    ready(page)
    expect(page.get_by_role("heading", name="Signature sur la tablette")).to_be_visible()

    # Without a drawn signature, nothing is queued.
    page.get_by_label("J’ai vérifié l’identité du signataire").check()
    page.get_by_label("J’ai lu le devis").check()
    page.get_by_label("J’ai reçu l’information sur mon droit de rétractation").check()
    page.get_by_role("button", name="Signer", exact=True).click()
    expect(page.get_by_text("La signature est absente")).to_be_visible()
    assert records(page) == []

    draw_signature(page)
    # Nor without the identity document checked (a required choice).
    page.get_by_role("button", name="Signer", exact=True).click()
    assert records(page) == []
    page.get_by_label("Pièce d’identité vérifiée").select_option(label="Titre de séjour")
    expect(page.get_by_label("Lieu de signature")).to_have_value("Nantes")
    email_copy = page.get_by_label(re.compile("^J’accepte de recevoir mon exemplaire"))
    expect(email_copy).not_to_be_checked()
    email_copy.check()
    page.get_by_role("button", name="Signer", exact=True).click()
    expect(page.get_by_text("Signature enregistrée sur cette tablette")).to_be_visible()
    assert [r["step"] for r in records(page)] == ["signature"]
    assert not SignatureRequest.objects.exists()

    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    assert wait_until_sent(page) == []
    request = SignatureRequest.objects.get(contract=contract)
    assert request.status == SignatureStatus.SIGNED
    assert request.evidence["device"]["online"] == "False"  # signed while offline
    assert request.evidence["signer"]["identity_document"] == "residence_permit"
    assert request.evidence["consents"]["durable_medium_email"] is True
    assert request.evidence["consents"]["early_start_requested"] is False
    signed = Document.objects.get(quote=quote, kind=DocumentKind.SIGNED_CONTRACT)
    assert seal_validate(pdf=signed.file.open("rb").read()).ok

    page.reload()
    ready(page)
    expect(page.get_by_role("link", name="Contrat signé (PDF)")).to_be_visible()
