"""The legal entity and its consumer mediator on every quote and contract (SPEC §4), and no
document while one of them is missing; the withdrawal form is the R221-1 model on a page of
its own; the tax advantage is in smaller type than every price."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from pypdf import PdfReader

from organisation.models import Agency, Brand, User
from quotes.documents import DocumentError, document_html, document_render
from quotes.legal_identity import brand_missing_items
from quotes.models import Document, Quote
from quotes.selectors import sale_prepared_data
from quotes.services import QuoteError, contract_create, quote_create_draft, quote_issue
from quotes.typography import euros
from tests.factories import make_price_list, make_visit_ready_to_quote

pytestmark = pytest.mark.django_db
DAY = date(2026, 12, 1)


def _reader(document: Document) -> PdfReader:
    with document.file.open("rb") as handle:
        return PdfReader(io.BytesIO(handle.read()))


def _fold(text: str) -> str:
    """One space for any run of spaces (no-break ones included): the words are checked."""
    return re.sub(r"\s+", " ", text)


def _pages(document: Document) -> list[str]:
    return [_fold(page.extract_text()) for page in _reader(document).pages]


@pytest.fixture
def issued(agency: Agency, catalogues: list[object]) -> Quote:
    make_price_list(agency.brand)
    visit = make_visit_ready_to_quote(agency, minutes={"housekeeping": 180, "gardening": 120})
    return quote_issue(quote=quote_create_draft(visit=visit, user=None, on=DAY), on=DAY)


def _identity(brand: Brand) -> list[str]:
    return [
        brand.legal_name,
        f"SAS au capital de {euros('10000.00')}",
        "Siège : 1 rue de la Paix, 75002 Paris",
        f"RCS Paris {brand.siren}",
        f"SIRET {brand.siret}",
        f"TVA intracommunautaire {brand.vat_number}",
        f"Déclaration de services à la personne n° {brand.sap_number}",
        brand.contact_phone,
        brand.contact_email,
        brand.website,
        "Médiation de la consommation",
        "recourir gratuitement au médiateur de la consommation",
        brand.mediator_name,
        brand.mediator_address,
        brand.mediator_website,
    ]


def test_the_quote_and_the_contract_name_the_legal_entity_and_its_mediator(
    issued: Quote,
) -> None:
    contract_create(quote=issued, user=None, early_start_requested=False)
    for kind in ("quote", "contract"):
        text = " ".join(_pages(document_render(quote=issued, kind=kind)))
        for mention in _identity(issued.brand):
            assert _fold(mention) in text, (kind, mention)
    contract = " ".join(_pages(document_render(quote=issued, kind="contract")))
    # The general terms name the mediator too (the placeholders filled from the brand).
    assert contract.count(issued.brand.mediator_name) >= 2  # the terms and the mediation block
    quote = " ".join(_pages(document_render(quote=issued, kind="quote")))
    # No handwritten mention the tablet never records; a start date or a deadline.
    assert "Bon pour accord" not in quote
    assert "au plus tard trente jours après la signature du contrat" in quote


@pytest.mark.parametrize("field", ["mediator_name", "vat_number", "share_capital", "legal_form"])
def test_no_document_is_issued_while_a_legal_item_is_missing(
    agency: Agency, catalogues: list[object], field: str
) -> None:
    make_price_list(agency.brand)
    visit = make_visit_ready_to_quote(agency, minutes={"housekeeping": 180})
    draft = quote_create_draft(visit=visit, user=None, on=DAY)
    Brand.objects.filter(pk=agency.brand_id).update(
        **{field: None if field == "share_capital" else ""}
    )
    brand = Brand.objects.get(pk=agency.brand_id)
    label = str(Brand._meta.get_field(field).verbose_name)
    assert brand_missing_items(brand) == [label]
    with pytest.raises(QuoteError) as refused:
        quote_issue(quote=draft, on=DAY)
    assert label in str(refused.value) and "administration" in str(refused.value)
    visit.refresh_from_db()
    # The tablet is told before it makes anything.
    assert label in sale_prepared_data(visit=visit, on=DAY)["legal_identity_missing"]


def test_a_document_of_an_incomplete_model_is_refused_not_printed_half_empty(
    issued: Quote,
) -> None:
    model = dict(issued.document_model)
    model["parties"] = {**model["parties"], "company": {**model["parties"]["company"]}}
    model["parties"]["company"]["mediator_name"] = ""
    Quote.objects.filter(pk=issued.pk).update(document_model=model)
    issued.refresh_from_db()
    with pytest.raises(DocumentError, match=r"médiateur|mediator"):
        document_html(quote=issued, kind="quote")


def test_the_admin_says_what_is_missing(client: Client, staff: User, agency: Agency) -> None:
    TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(staff)
    Brand.objects.filter(pk=agency.brand_id).update(mediator_website="")
    page = client.get(
        reverse("admin:organisation_brand_change", args=[agency.brand_id])
    ).content.decode()
    assert "incomplete" in page or "incomplètes" in page
    listing = client.get(reverse("admin:organisation_brand_changelist")).content.decode()
    with translation.override("fr"):
        label = str(Brand._meta.get_field("mediator_website").verbose_name)
    assert escape(label) in listing


WITHDRAWAL_MODEL = [
    "Formulaire de rétractation",
    "(Veuillez compléter et renvoyer le présent formulaire uniquement si vous souhaitez vous "
    "rétracter du contrat.)",
    "Je/Nous (*) vous notifie/notifions (*) par la présente ma/notre (*) rétractation du "
    "contrat portant sur la vente du bien (*)/pour la prestation de services (*) ci-dessous :",
    "Commandé le (*)/reçu le (*) :",
    "Nom du (des) consommateur(s) :",
    "Adresse du (des) consommateur(s) :",
    "Signature du (des) consommateur(s) (uniquement en cas de notification du présent "
    "formulaire sur papier) :",
    "Date :",
    "(*) Rayez la mention inutile.",
]


def test_the_withdrawal_form_is_the_model_alone_on_a_right_hand_page(issued: Quote) -> None:
    contract_create(quote=issued, user=None, early_start_requested=False)
    pages = _pages(document_render(quote=issued, kind="contract"))
    with_form = [i for i, page in enumerate(pages) if "Formulaire de rétractation" in page]
    assert with_form == [len(pages) - 1]
    # Page numbers start at 1: an odd page starts a sheet, so printed double-sided the
    # form's back is blank and the signature page is not behind it.
    assert len(pages) % 2 == 1
    form = pages[-1]
    for line in WITHDRAWAL_MODEL:
        assert _fold(line) in form, line
    assert f"À l'attention de {issued.brand.legal_name}" in form
    assert "Signatures" not in form and "Article" not in form


def _sizes(document: Document) -> list[tuple[str, float]]:
    """Every run of text of the PDF with the size it is printed at, in points."""
    runs: list[tuple[str, float]] = []

    def visit(text, cm, tm, font, size) -> None:  # type: ignore[no-untyped-def]
        if text.strip():
            runs.append((text, round(abs(size * tm[3] * cm[3]), 2)))

    for page in _reader(document).pages:
        page.extract_text(visitor_text=visit)
    return runs


def test_the_tax_advantage_is_in_smaller_type_than_every_price(issued: Quote) -> None:
    runs = _sizes(document_render(quote=issued, kind="quote"))
    figures = issued.figures

    def sizes_of(amount: str) -> set[float]:
        number = euros(amount).split("\u00a0€")[0].strip()
        found = {size for text, size in runs if number in text}
        assert found, amount
        return found

    prices = [figures["monthly"]["ttc"], figures["monthly"]["ht"], figures["annual"]["ttc"]]
    for line in figures["lines"]:
        prices += [line["hourly_price_ht"], line["hourly_price_ttc"], line["monthly_ttc"]]
    smallest_price = min(min(sizes_of(p)) for p in prices)
    tax = {size for text, size in runs if "crédit d'impôt" in text or "Avantage fiscal" in text}
    tax |= sizes_of(figures["tax_credit"]["annual"])
    assert tax and max(tax) < smallest_price, (tax, smallest_price)
