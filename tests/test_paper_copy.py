"""L221-9: the signed copy by email with the client's consent, else a paper copy the
agency hands over, listed on the manager's dashboard until marked done."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from organisation.models import Agency, Role, User
from quotes.models import Contract, Document, DocumentKind
from quotes.services import contract_create, quote_create_draft, quote_issue
from signatures.models import PaperCopyTask
from tests.factories import UserFactory, make_price_list, make_visit_ready_to_quote
from tests.test_signature_onsite import form, url

pytestmark = pytest.mark.django_db


def _contract(agency: Agency, email: str) -> Contract:
    make_price_list(agency.brand)
    visit = make_visit_ready_to_quote(agency, first_name="Jean", last_name="Morel", email=email)
    quote = quote_issue(quote=quote_create_draft(visit=visit, user=None))
    return contract_create(quote=quote, user=None, early_start_requested=False)


def _sign(client: Client, contract: Contract, capture: Any, **changes: Any) -> dict[str, Any]:
    with capture(execute=True):
        response = client.post(url(contract), form(contract, **changes))
    assert response.status_code == 302, response.content
    document = Document.objects.get(quote=contract.quote, kind=DocumentKind.EVIDENCE_JSON)
    return json.loads(document.file.open("rb").read())


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("jean@example.test", "n'a pas accepté"),  # an email, but no consent: paper
        ("", "pas donné d'adresse"),  # no email at all: paper even with the box ticked
    ],
)
def test_without_consent_or_email_the_agency_hands_a_paper_copy(
    client: Client,
    agency: Agency,
    advisor: User,
    django_capture_on_commit_callbacks: Any,
    email: str,
    reason: str,
) -> None:
    contract = _contract(agency, email)
    client.force_login(advisor)
    changes = {} if email else {"durable_medium_consent": "on"}
    evidence = _sign(client, contract, django_capture_on_commit_callbacks, **changes)
    task = PaperCopyTask.objects.get(contract=contract)
    assert task.done_on is None and reason in task.reason
    assert evidence["delivery"]["method"] == "paper"
    assert evidence["delivery"]["task_id"] == task.pk
    assert evidence["consents"]["durable_medium_email"] is bool(changes)
    assert evidence["consents"]["early_start_requested"] is False
    assert not [m for m in mail.outbox if "documents signés" in m.subject]
    pdf = Document.objects.get(quote=contract.quote, kind=DocumentKind.EVIDENCE).file.open("rb")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(pdf).pages).split())
    assert "Papier : contrat à remettre ou envoyer par l'agence" in text
    assert f"n° {task.pk}" in text and reason in text
    contract.refresh_from_db()
    assert not contract.early_start_requested


def test_the_manager_lists_and_marks_the_paper_copy_done(
    client: Client,
    agency: Agency,
    advisor: User,
    manager: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    contract = _contract(agency, "")
    client.force_login(advisor)
    _sign(client, contract, django_capture_on_commit_callbacks)
    task = PaperCopyTask.objects.get(contract=contract)
    # An advisor has no dashboard.
    assert client.get(reverse("dashboard:paper_copies")).status_code == 403

    client.force_login(manager)
    page = client.get(reverse("dashboard:paper_copies")).content.decode()
    assert f'data-paper-copy="{task.pk}"' in page and contract.quote.reference in page
    done = reverse("dashboard:paper_copy_done", args=[task.pk])
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(done, {"done_on": tomorrow.isoformat()}, follow=True)
    assert "futur" in response.content.decode()
    task.refresh_from_db()
    assert task.done_on is None

    today = timezone.localdate()
    response = client.post(done, {"done_on": today.isoformat()})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.done_on == today and task.done_by == manager and task.done_recorded_at
    page = client.get(reverse("dashboard:paper_copies")).content.decode()
    assert f'data-paper-copy="{task.pk}"' not in page
    assert PaperCopyTask.objects.open().count() == 0


def test_another_agencys_manager_neither_sees_nor_marks_it(
    client: Client,
    agency: Agency,
    other_agency: Agency,
    advisor: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    contract = _contract(agency, "")
    client.force_login(advisor)
    _sign(client, contract, django_capture_on_commit_callbacks)
    task = PaperCopyTask.objects.get(contract=contract)
    client.force_login(UserFactory(role=Role.MANAGER, agencies=[other_agency]))
    page = client.get(reverse("dashboard:paper_copies")).content.decode()
    assert f'data-paper-copy="{task.pk}"' not in page
    done = reverse("dashboard:paper_copy_done", args=[task.pk])
    assert client.post(done, {"done_on": timezone.localdate().isoformat()}).status_code == 404
    task.refresh_from_db()
    assert task.done_on is None


def test_marking_done_needs_the_csrf_token(
    agency: Agency,
    manager: User,
    advisor: User,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    contract = _contract(agency, "")
    client.force_login(advisor)
    _sign(client, contract, django_capture_on_commit_callbacks)
    task = PaperCopyTask.objects.get(contract=contract)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager)
    done = reverse("dashboard:paper_copy_done", args=[task.pk])
    assert strict.post(done, {"done_on": timezone.localdate().isoformat()}).status_code == 403
    task.refresh_from_db()
    assert task.done_on is None
