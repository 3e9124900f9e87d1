"""The PDF quote and contract, read back with pypdf: every mention required by SPEC §4,
every figure equal to the pricing function's, the nature of the services, the legal
sections from the document model, the withdrawal form alone on its page."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from organisation.models import Agency
from quotes.documents import document_render
from quotes.models import Document, Quote
from quotes.pricing import price, priced_as_json
from quotes.services import contract_create, quote_create_draft, quote_issue
from quotes.templatetags.quote_tags import rate
from quotes.typography import NNBSP, euros, hours_fr
from tests.factories import make_price_list, make_visit_ready_to_quote

pytestmark = pytest.mark.django_db
DAY = date(2026, 12, 1)


def _text(document: Document) -> list[str]:
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    # One space for any run of spaces or line breaks: the words are what we check.
    return [re.sub(r"[ \n]+", " ", page.extract_text()) for page in reader.pages]


@pytest.fixture
def issued(agency: Agency, catalogues: list[object]) -> Quote:
    make_price_list(agency.brand)
    visit = make_visit_ready_to_quote(
        agency,
        minutes={"housekeeping": 180, "gardening": 240},
        members_over_65=1,
        wants_immediate_advance=True,
        intervention_address="3 chemin des Vignes",
        intervention_postal_code="44120",
        intervention_city="Vertou",
    )
    visit.answers = {
        "frequency": "weekly",
        "rooms": [
            {"type": "kitchen", "label": "", "surface_m2": 12, "tasks": {"floors": "each"}},
            {"type": "bedroom", "label": "Chambre bleue", "tasks": {"beds": "every_2"}},
        ],
        "garden_frequency": "fortnightly",
        "lawn_m2": 300,
    }
    visit.save()
    return quote_issue(quote=quote_create_draft(visit=visit, user=None, on=DAY), on=DAY)


def test_it_prints_every_mention_and_figure_of_the_quote(issued: Quote) -> None:
    pages = _text(document_render(quote=issued, kind="quote"))
    text = " ".join(pages)
    figures = priced_as_json(price(issued.pricing_input))
    assert figures == issued.figures
    brand = issued.brand
    for mention in [
        f"Devis n° {issued.number}",
        "Date\u00a0: 01/12/2026",
        "Valable jusqu'au 31/12/2026",
        brand.legal_name,
        f"Déclaration de services à la personne n° {brand.sap_number}",
        issued.visit.prospect.last_name,
        issued.visit.prospect.address,
        "Lieu d'intervention\u00a0: 3 chemin des Vignes, 44120 Vertou",
        "Prestataire",
        "Devis gratuit",
        "Devis obligatoire",
        "arrêté du 17 mars 2015",
        "Frais de dossier",
        "Frais de déplacement",
        "Avantage fiscal",
        "crédit d'impôt",
        "reste à payer",
        # The nature of the services (SPEC §4): rooms, tasks, frequency.
        "Nature des prestations",
        "interventions\u00a0: toutes les semaines",
        "Cuisine (12\u00a0m²) Sols (aspirateur et lavage)\u00a0: à chaque intervention",
        "Chambre bleue (12\u00a0m²) Lits (changer les draps)\u00a0: une intervention sur deux",
        "Tonte de la pelouse\u00a0: 300\u00a0m²",
    ]:
        assert mention in text, mention
    for line in figures["lines"]:
        for key in ("hourly_price_ht", "hourly_price_ttc", "monthly_ht", "monthly_ttc"):
            assert euros(line[key]) in text, (line["label"], key)
        assert hours_fr(line["hours_per_week"]) in text  # "3 h", "4 h 30": as said
        assert rate(line["vat_rate"]) in text
    for fee in figures["fees"]:
        assert euros(fee["amount_ht"]) in text and euros(fee["amount_ttc"]) in text
    for period in ("monthly", "annual"):
        for key in ("ht", "vat", "ttc"):
            assert euros(figures[period][key]) in text, (period, key)
    assert euros(figures["tax_credit"]["annual"]) in text
    assert euros(figures["tax_credit"]["monthly"]) in text
    assert euros(figures["remaining_monthly"]) in text
    # French thousands separator (narrow no-break space) on the yearly total, page numbers.
    assert NNBSP in euros(figures["annual"]["ttc"])
    assert f"Page 1 / {len(pages)}" in pages[0]


def test_it_prints_the_contract_with_its_legal_information_and_a_separate_form(
    issued: Quote,
) -> None:
    contract_create(quote=issued, user=None, early_start_requested=True)
    document = document_render(quote=issued, kind="contract")
    pages = _text(document)
    text = " ".join(pages)
    assert document.pages == len(pages) >= 3
    for mention in [
        "Contrat conclu hors établissement",
        "L221-5",
        "quatorze jours",
        "L221-18",
        "sept jours",
        "L221-10",
        "Aucun chèque, aucune autorisation de prélèvement",
        "L221-25",
        "☒ Je demande expressément",
        "version 2026-2",
        "Article 1",
        # The legal sections are the model's texts, placeholders filled with the brand's.
        f"par courriel à {issued.brand.contact_email}",
        "Consentement au traitement des données personnelles",
        issued.brand.sap_number,
        euros(issued.figures["monthly"]["ttc"]),
    ]:
        assert mention in text, mention
    form_pages = [i for i, page in enumerate(pages) if "Formulaire de rétractation" in page]
    assert form_pages == [len(pages) - 1]  # the last page, and only there
    form = pages[-1]
    assert "Je/Nous (*) vous notifie/notifions (*)" in form
    assert "Rayez la mention inutile" in form
    # Alone on its page: nothing of the contract itself shares it.
    assert "Article" not in form and "Signatures" not in form


def test_it_stores_each_document_once_with_its_sha256(issued: Quote) -> None:
    import hashlib

    first = document_render(quote=issued, kind="quote")
    again = document_render(quote=issued, kind="quote")
    assert again.pk == first.pk
    with first.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == first.sha256


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="needs poppler-utils (pdfsig)")
def test_it_writes_signed_and_sealed_samples_for_every_demo_brand(tmp_path: Path) -> None:
    import json

    call_command("render_sample_documents", out=str(tmp_path))
    names = sorted(p.name for p in tmp_path.iterdir())
    for prefix in ("MN", "VL"):
        for kind in ("devis", "contrat", "devis-signe", "contrat-signe", "dossier-de-preuve"):
            # "devis-MN-2026-000001.pdf": the kind, the brand's prefix, the number.
            assert any(re.fullmatch(rf"{kind}-{prefix}-\d{{4}}-\d{{6}}\.pdf", n) for n in names), (
                kind,
                prefix,
            )
        assert any(
            n.startswith(f"dossier-de-preuve-{prefix}-") and n.endswith(".json") for n in names
        )
    call_command("render_sample_documents", out=str(tmp_path))  # idempotent
    assert Quote.objects.count() == 2
    for signed in sorted(tmp_path.glob("contrat-signe-*.pdf")):
        report = subprocess.run(["pdfsig", str(signed)], capture_output=True, text=True).stdout
        assert "Signature is Valid." in report and "Total document signed" in report
        brand = "Maison Nette" if "-MN-" in signed.name else "Vert Logis"
        assert f"O={brand}" in report  # each legal entity its own seal
    evidence = json.loads(next(tmp_path.glob("dossier-de-preuve-VL-*.json")).read_text())
    assert evidence
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "30",
            "-png",
            str(next(tmp_path.glob("devis-MN-*.pdf"))),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    assert sorted(tmp_path.glob("page-*.png"))


def test_it_prints_the_tablet_reference_beside_the_number(issued: Quote) -> None:
    from quotes.documents import document_html, model_html

    issued.document_model["references"]["device_reference"] = "MN-T07-000009"
    html = document_html(quote=issued, kind="quote")
    assert (
        f'Devis n° <span class="ref-id">{issued.number}</span></strong>'
        ' · réf. tablette <span class="ref-id">MN-T07-000009</span>'
    ) in html
    # Not yet numbered (made offline, not synchronised): the tablet's reference, and why.
    offline = model_html(kind="quote", model=issued.document_model, extras={"number": ""})
    assert 'Devis réf. tablette <span class="ref-id">MN-T07-000009</span>' in offline
    assert "Numéro définitif attribué à la synchronisation" in offline


def test_a_long_reference_is_never_cut_at_its_hyphens(issued: Quote, tmp_path: Path) -> None:
    """A long brand prefix and a tablet reference make the heading wrap: it wraps
    between words, never inside a reference (pdftotext would then lose the hyphen)."""
    from quotes.documents import document_html, document_pdf

    reference = "B12123456789012-TWXM2BEDV-0001"
    issued.document_model["references"]["device_reference"] = reference
    issued.save()
    contract_create(quote=issued, user=None, early_start_requested=False)
    for kind in ("quote", "contract"):
        pdf, _pages = document_pdf(html=document_html(quote=issued, kind=kind))
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert reference in text, kind
