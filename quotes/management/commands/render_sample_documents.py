"""Write a sample quote and contract (PDF) for a demo visit, for the README and reviewers.

Creates what it needs the first time (demo data, a sample prospect and visit with a
confirmed estimate, the quote and its contract) and reuses them afterwards, so running
it again writes the same stored documents.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from nomad_web.demo import demo_seed
from organisation.models import Agency
from quotes.documents import document_render
from quotes.models import Contract, DocumentKind, Quote, QuoteStatus
from quotes.services import contract_create, quote_create_draft, quote_issue
from visits.models import Prospect, Visit, VisitStatus

SAMPLE_REF = "DEMO-SAMPLE-01"


def _sample_visit() -> Visit:
    agency = Agency.objects.get(code="MN-NAN")
    prospect, _ = Prospect.objects.get_or_create(
        backoffice_ref=SAMPLE_REF,
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
    help = "Write a sample quote and contract PDF for a demo visit into --out."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="folder to write the PDFs into")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        demo_seed()
        with transaction.atomic():
            visit = _sample_visit()
            quote = Quote.objects.filter(visit=visit).exclude(status=QuoteStatus.DRAFT).first()
            if quote is None:
                quote = quote_issue(quote=quote_create_draft(visit=visit, user=visit.advisor))
            if not Contract.objects.filter(quote=quote).exists():
                contract_create(quote=quote, user=visit.advisor, early_start_requested=True)
        for kind in (DocumentKind.QUOTE, DocumentKind.CONTRACT):
            # Normally done by the Celery task after commit; here, whatever the broker.
            document = document_render(quote=quote, kind=kind)
            target = out / document.filename
            with document.file.open("rb") as source, target.open("wb") as copy:
                shutil.copyfileobj(source, copy)
            self.stdout.write(f"{target} ({document.pages} pages, sha256 {document.sha256})")
