"""Write sample documents for each demo brand, for the README and reviewers: the quote and
the contract (PDF), then, signed on the tablet, the sealed quote, the sealed contract and
the evidence file (PDF and JSON).

Creates what it needs the first time (demo data, a sample prospect and visit per brand
with a confirmed estimate, the quote, its contract and a signature) and reuses them
afterwards, so running it again writes the same stored documents.
"""

from __future__ import annotations

import base64
import io
import shutil
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from nomad_web.demo import demo_seed
from organisation.models import Agency
from quotes.documents import document_render
from quotes.models import Contract, Document, DocumentKind, Quote, QuoteStatus
from quotes.services import contract_create, quote_create_draft, quote_issue
from signatures.canonical import canonical_hash
from signatures.evidence import signature_documents_finalise
from signatures.models import SignatureRequest
from signatures.services import OnSiteSubmission, intervention_town, onsite_sign
from visits.models import Prospect, Visit, VisitStatus

# One sample per demo brand: its agency and the reference of its sample prospect.
SAMPLES = [("MN-NAN", "DEMO-SAMPLE-01"), ("VL-ANG", "DEMO-SAMPLE-02")]
KINDS = [
    DocumentKind.QUOTE,
    DocumentKind.CONTRACT,
    DocumentKind.SIGNED_QUOTE,
    DocumentKind.SIGNED_CONTRACT,
    DocumentKind.EVIDENCE,
    DocumentKind.EVIDENCE_JSON,
]


def _drawn_signature() -> str:
    """A signature as the pad sends it: a PNG data URL of one zigzag stroke."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).line(
        [(30 + i * 45, 100 + (40 if i % 2 else -40)) for i in range(12)],
        fill=(10, 30, 60, 255),
        width=4,
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _sign(contract: Contract) -> SignatureRequest:
    """The client signs on the tablet (the sample's fixed submission id: signed once)."""
    client_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"nomad-sample-signature-{contract.pk}")
    now = timezone.now()
    client = contract.quote.parties.get("client", {})
    return onsite_sign(
        contract=contract,
        submission=OnSiteSubmission(
            signer_first_name=str(client.get("first_name") or "Élise"),
            signer_last_name=str(client.get("last_name") or "Dumont"),
            identity_confirmed=True,
            documents_read=True,
            withdrawal_information_received=True,
            signature_data_url=_drawn_signature(),
            document_hash=canonical_hash(contract=contract),
            presented_at=(now - timedelta(minutes=3)).isoformat(),
            signed_at=now.isoformat(),
            device={"user_agent": "render_sample_documents", "platform": "sample"},
            client_uuid=client_uuid,
            identity_document="identity_card",
            early_start_requested=True,
            durable_medium_consent=True,
            place=intervention_town(client) or "Nantes",
        ),
        user=contract.quote.visit.advisor,
        ip="127.0.0.1",
    )


def _sample_visit(agency_code: str, reference: str) -> Visit:
    agency = Agency.objects.get(code=agency_code)
    prospect, _ = Prospect.objects.get_or_create(
        backoffice_ref=reference,
        defaults={
            "agency": agency,
            "civility": "mrs",
            "first_name": "Élise",
            "last_name": "Dumont",
            "email": "elise.dumont@prospect.demo.test",
            "phone": "06 11 22 33 44",
            "address": "14 rue Crébillon",
            "postal_code": "44000",
            "city": "Nantes",
            "intervention_address": "3 chemin des Vignes",
            "intervention_postal_code": "44120",
            "intervention_city": "Vertou",
            "adults": 2,
            "dependent_children": 2,
            "wants_immediate_advance": True,
        },
    )
    visit = prospect.visits.first()
    if visit is None:
        # A confirmed estimate as the estimator stores it: 3 h of housekeeping a week and
        # 4 h of gardening every other week; the advisor kept the figures.
        visit = Visit.objects.create(
            prospect=prospect,
            agency=agency,
            advisor=agency.people.filter(role="advisor").order_by("email").first(),
            scheduled_at=timezone.now() - timedelta(hours=2),
            activities=["housekeeping", "gardening"],
            status=VisitStatus.NEEDS_CAPTURED,
            # What the quote describes (rooms, tasks, frequency, start).
            answers={
                "frequency": "weekly",
                "rooms": [
                    {"type": "kitchen", "label": "", "surface_m2": 12, "tasks": {"floors": "each"}},
                    {
                        "type": "living",
                        "label": "Séjour",
                        "surface_m2": 30,
                        "tasks": {"floors": "each"},
                    },
                    {
                        "type": "bedroom",
                        "label": "Chambre des parents",
                        "tasks": {"beds": "every_2"},
                    },
                ],
                "garden_frequency": "fortnightly",
                "lawn_m2": 300,
            },
            estimate={
                "version": "sample",
                "minutes_per_week": 300,
                "activities": [
                    {
                        "activity": "housekeeping",
                        "minutes_per_intervention": 180,
                        "interventions_per_week": 1.0,
                        "minutes_per_week": 180,
                        "lines": [],
                    },
                    {
                        "activity": "gardening",
                        "minutes_per_intervention": 240,
                        "interventions_per_week": 0.5,
                        "minutes_per_week": 120,
                        "lines": [],
                    },
                ],
            },
            estimated_minutes=300,
            proposed_minutes=300,
        )
    return visit


class Command(BaseCommand):
    help = (
        "Write, for each demo brand, a sample quote and contract, and the sealed quote, "
        "sealed contract and evidence file of their signature, into --out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="folder to write the PDFs into")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        demo_seed()
        for agency_code, reference in SAMPLES:
            self._write(out, agency_code, reference)

    def _write(self, out: Path, agency_code: str, reference: str) -> None:
        with transaction.atomic():
            visit = _sample_visit(agency_code, reference)
            quote = Quote.objects.filter(visit=visit).exclude(status=QuoteStatus.DRAFT).first()
            if quote is None:
                quote = quote_issue(quote=quote_create_draft(visit=visit, user=visit.advisor))
            contract = Contract.objects.filter(quote=quote).first()
            if contract is None:
                contract = contract_create(
                    quote=quote, user=visit.advisor, early_start_requested=False
                )
        # Normally done by Celery tasks after commit; here, whatever the broker.
        for kind in (DocumentKind.QUOTE, DocumentKind.CONTRACT):
            document_render(quote=quote, kind=kind)
        with transaction.atomic():
            request = _sign(contract)
        signature_documents_finalise(request=request)
        for kind in KINDS:
            document = Document.objects.get(quote=quote, kind=kind)
            target = out / document.filename
            with document.file.open("rb") as source, target.open("wb") as copy:
                shutil.copyfileobj(source, copy)
            self.stdout.write(f"{target} ({document.pages} pages, sha256 {document.sha256})")
