"""On-site signature: checks, the hash of what was shown, the seal, the evidence, replays."""

from __future__ import annotations

import base64
import io
import json
import uuid
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageDraw
from pypdf import PdfReader

from organisation.models import Agency, Role, User
from privacy.models import AuditAction, AuditEntry
from quotes.document_model import model_sha256
from quotes.models import Contract, Document, DocumentKind, QuoteStatus
from quotes.services import contract_create, quote_create_draft, quote_issue
from signatures.canonical import canonical_hash
from signatures.models import PaperCopyTask, SignatureRequest, SignatureStatus
from signatures.seal import seal_validate
from tests.factories import UserFactory, make_price_list, make_visit_ready_to_quote
from visits.models import VisitStatus

pytestmark = pytest.mark.django_db


def drawn_signature(strokes: int = 12) -> str:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(30 + i * 45, 100 + (40 if i % 2 else -40)) for i in range(strokes)]
    draw.line(points, fill=(10, 30, 60, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def contract(agency: Agency) -> Contract:
    make_price_list(agency.brand)
    visit = make_visit_ready_to_quote(
        agency, first_name="Élise", last_name="Dumont", email="elise@example.test"
    )
    quote = quote_issue(quote=quote_create_draft(visit=visit, user=None))
    return contract_create(quote=quote, user=None, early_start_requested=False)


@pytest.fixture
def tablet(client: Client, advisor: User) -> Client:
    client.force_login(advisor)
    return client


def form(contract: Contract, **changes: Any) -> dict[str, Any]:
    data = {
        "signer_first_name": "Élise",
        "signer_last_name": "Dumont",
        "identity_confirmed": "on",
        "identity_document": "identity_card",
        "signature_place": "Lyon",
        "consents_at_signature": "1",
        "documents_read": "on",
        "withdrawal_information": "on",
        "signature": drawn_signature(),
        "document_hash": canonical_hash(contract=contract),
        "presented_at": "2026-11-30T09:58:00Z",
        "signed_at": "2026-11-30T10:02:00Z",
        "device": json.dumps({"platform": "Linux armv8l", "screen": "800x1280@2"}),
        "submission_id": str(uuid.uuid4()),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def sign_entries(contract: Contract) -> int:
    """How many times the contract was recorded as signed (the audit's SIGN entries)."""
    return AuditEntry.objects.filter(
        action=AuditAction.SIGN, object_type="quotes.contract", object_id=contract.pk
    ).count()


def url(contract: Contract) -> str:
    return reverse("signatures:onsite", args=[contract.pk])


def test_it_signs_seals_keeps_the_evidence_and_emails_the_client(
    tablet: Client, contract: Contract, django_capture_on_commit_callbacks: Any
) -> None:
    page = tablet.get(url(contract)).content.decode()
    assert "Élise Dumont" not in page or "Dumont" in page
    with django_capture_on_commit_callbacks(execute=True):
        # The client asks for the early start and the email copy themselves, at signature.
        response = tablet.post(
            url(contract),
            form(
                contract,
                early_start_requested="on",
                durable_medium_consent="on",
                signature_place="Villeurbanne",
            ),
        )
    assert response.status_code == 302

    contract.refresh_from_db()
    request = SignatureRequest.objects.get(contract=contract)
    assert request.status == SignatureStatus.SIGNED and contract.signed_at
    assert contract.early_start_requested and contract.quote.status == QuoteStatus.SIGNED
    assert contract.quote.visit.status == VisitStatus.SIGNED
    assert sign_entries(contract) == 1

    documents = {d.kind: d for d in Document.objects.filter(quote=contract.quote)}
    for kind in (DocumentKind.SIGNED_QUOTE, DocumentKind.SIGNED_CONTRACT, DocumentKind.EVIDENCE):
        pdf = documents[kind].file.open("rb").read()
        check = seal_validate(pdf=pdf, brand=contract.quote.brand)  # its own entity's seal
        assert check.ok, (kind, check)
    signed = PdfReader(io.BytesIO(documents[DocumentKind.SIGNED_CONTRACT].file.open("rb").read()))
    text = " ".join(page.extract_text() for page in signed.pages)
    assert "Signé électroniquement par" in text and "Élise Dumont" in text
    assert canonical_hash(contract=contract) in text.replace("\n", "")
    assert "Formulaire de rétractation" in signed.pages[-1].extract_text()
    # "Fait à" the place of signature, on the day of the signature (the tablet's time).
    flat_contract = " ".join(text.split())
    assert "Fait à Villeurbanne, le 30/11/2026" in flat_contract

    evidence = json.loads(documents[DocumentKind.EVIDENCE_JSON].file.open("rb").read())
    assert evidence["signer"]["first_name"] == "Élise"
    assert evidence["document"]["canonical_sha256"] == canonical_hash(contract=contract)
    assert evidence["consents"] == {
        "documents_read": True,
        "withdrawal_information_received": True,
        "early_start_requested": True,
        "early_start_source": "signature",
        "durable_medium_email": True,
    }
    assert evidence["signer"]["email"] == "elise@example.test"
    assert evidence["signer"]["identity_document"] == "identity_card"
    assert evidence["place"]["value"] == "Villeurbanne"
    assert evidence["document"]["presented_form"] == "document_model"
    signed_model = request.evidence["signed_model"]
    assert signed_model["signing"]["place"] == "Villeurbanne"
    assert signed_model["signing"]["date"] == "2026-11-30"
    assert signed_model["contract"]["early_start_requested"] is True
    assert evidence["document"]["signed_model_sha256"] == model_sha256(signed_model)
    assert evidence["delivery"]["method"] == "email"
    assert evidence["delivery"]["email"] == "elise@example.test"
    assert evidence["delivery"]["sent_at"]
    assert not PaperCopyTask.objects.exists()
    assert {e["event"]: e["clock"] for e in evidence["events"]} == {
        "presented": "tablet",
        "signed": "tablet",
        "received": "server",
        "sealed": "server",
    }
    assert (
        evidence["device"]["platform"] == "Linux armv8l"
        and evidence["ip_at_receipt"] == "127.0.0.1"
    )
    assert [e["event"] for e in evidence["events"]] == ["presented", "signed", "received", "sealed"]
    assert (
        evidence["signed_files"]["signed_contract"]["sha256"]
        == documents[DocumentKind.SIGNED_CONTRACT].sha256
    )
    evidence_text = " ".join(
        p.extract_text()
        for p in PdfReader(
            io.BytesIO(documents[DocumentKind.EVIDENCE].file.open("rb").read())
        ).pages
    )
    assert "Dossier de preuve" in evidence_text and "Linux armv8l" in evidence_text
    flat = " ".join(evidence_text.split())
    for label in (
        "Carte nationale d'identité",
        "horloge de la tablette",
        "horloge du serveur",
        "Fait à Villeurbanne",
        "modèle de document",
        "Courriel (support durable accepté par le client)",
        "Plateforme",
    ):
        assert label in flat, label

    signed_mail = [m for m in mail.outbox if "documents signés" in m.subject]
    assert len(signed_mail) == 1 and signed_mail[0].to == ["elise@example.test"]
    assert sorted(name for name, _c, _t in signed_mail[0].attachments) == [
        f"contrat-signe-{contract.quote.reference}.pdf",
        f"devis-signe-{contract.quote.reference}.pdf",
    ]


def test_a_changed_byte_breaks_the_seal(
    tablet: Client, contract: Contract, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        tablet.post(url(contract), form(contract))
    pdf = bytearray(
        Document.objects.get(quote=contract.quote, kind=DocumentKind.SIGNED_CONTRACT)
        .file.open("rb")
        .read()
    )
    assert seal_validate(pdf=bytes(pdf)).ok
    position = len(pdf) // 3
    pdf[position] ^= 0x01
    check = seal_validate(pdf=bytes(pdf))
    assert not check.intact and not check.ok


def test_a_different_hash_is_a_stored_conflict_and_nothing_is_signed(
    tablet: Client, contract: Contract
) -> None:
    response = tablet.post(
        url(contract), form(contract, document_hash="0" * 64), headers={"X-Nomad-Sync": "1"}
    )
    assert response.status_code == 409
    request = SignatureRequest.objects.get(contract=contract)
    assert request.status == SignatureStatus.CONFLICT
    assert request.evidence["document"]["presented_sha256"] == "0" * 64
    contract.refresh_from_db()
    assert contract.signed_at is None and contract.quote.status == QuoteStatus.ISSUED
    assert not Document.objects.filter(
        quote=contract.quote, kind=DocumentKind.SIGNED_CONTRACT
    ).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"signature": ""}, "La signature est absente"),
        ({"signature": drawn_signature(strokes=1)}, "La signature est vide"),
        ({"signature": "data:image/png;base64,@@@"}, "illisible"),
        ({"identity_confirmed": None}, "identité"),
        ({"identity_document": None}, "Choisissez la pièce d’identité"),
        ({"identity_document": "library_card"}, "Choisissez la pièce d’identité"),
        ({"signature_place": " "}, "lieu"),
        ({"documents_read": None}, "avoir lu"),
        ({"signer_last_name": " "}, "prénom et le nom"),
    ],
)
def test_it_refuses_an_incomplete_signature(
    tablet: Client, contract: Contract, change: dict[str, Any], message: str
) -> None:
    response = tablet.post(url(contract), form(contract, **change), headers={"X-Nomad-Sync": "1"})
    assert response.status_code == 422
    assert message in response.json()["message"]
    assert not SignatureRequest.objects.exists()
    contract.refresh_from_db()
    assert contract.signed_at is None


def test_it_refuses_an_expired_or_revised_quote(tablet: Client, contract: Contract) -> None:
    quote = contract.quote
    quote.valid_until = quote.quote_date.replace(year=quote.quote_date.year - 1)
    quote.save(update_fields=["valid_until"])
    response = tablet.post(url(contract), form(contract), headers={"X-Nomad-Sync": "1"})
    assert response.status_code == 422 and "expiré" in response.json()["message"]

    # A contract's quote cannot be revised (the quotes service refuses); the check holds
    # anyway for a quote that ended up replaced.
    agency = contract.quote.visit.agency
    issued = quote_issue(
        quote=quote_create_draft(visit=make_visit_ready_to_quote(agency), user=None)
    )
    revised_contract = contract_create(quote=issued, user=None, early_start_requested=False)
    issued.__class__.objects.filter(pk=issued.pk).update(status=QuoteStatus.SUPERSEDED)
    response = tablet.post(
        url(revised_contract), form(revised_contract), headers={"X-Nomad-Sync": "1"}
    )
    assert response.status_code == 422 and "révisé" in response.json()["message"]
    assert not SignatureRequest.objects.exists()


def test_it_signs_once_and_refuses_a_replay_with_another_body(
    tablet: Client, contract: Contract
) -> None:
    data = form(contract)
    first = tablet.post(url(contract), data, headers={"X-Nomad-Sync": "1"})
    again = tablet.post(url(contract), data, headers={"X-Nomad-Sync": "1"})
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    other = tablet.post(
        url(contract), {**data, "signer_first_name": "Paul"}, headers={"X-Nomad-Sync": "1"}
    )
    assert other.status_code == 422 and "autres données" in other.json()["message"]
    second = tablet.post(url(contract), form(contract), headers={"X-Nomad-Sync": "1"})
    assert second.status_code == 422 and "déjà signé" in second.json()["message"]
    assert SignatureRequest.objects.filter(status=SignatureStatus.SIGNED).count() == 1


def test_another_agency_gets_404(client: Client, contract: Contract, other_agency: Agency) -> None:
    client.force_login(UserFactory(role=Role.ADVISOR, agencies=[other_agency]))
    assert client.get(url(contract)).status_code == 404
    assert client.post(url(contract), form(contract)).status_code == 404
    assert not SignatureRequest.objects.exists()


def test_the_agency_provider_decides_the_path(tablet: Client, contract: Contract) -> None:
    response = tablet.post(reverse("signatures:start", args=[contract.pk]))
    assert response["Location"] == url(contract)
