"""Issue 17, point 1: a crash after the signature commits (the after-commit task never
runs) must not leave a signed contract without its sealed documents for good."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from organisation.models import Agency, Role, User
from quotes.models import Contract, Document, DocumentKind, Quote
from signatures.models import SignatureRequest, SignatureStatus
from tests.factories import UserFactory
from tests.test_signature_onsite import contract, form, url  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

SEALED = {
    DocumentKind.SIGNED_QUOTE,
    DocumentKind.SIGNED_CONTRACT,
    DocumentKind.EVIDENCE,
    DocumentKind.EVIDENCE_JSON,
}


def _signed_then_crash(client: Client, contract: Contract, capture: Any) -> SignatureRequest:  # noqa: F811
    """Signed through the normal view; the tasks queued on commit are lost (never run)."""
    with capture(execute=False) as lost:
        response = client.post(url(contract), form(contract, durable_medium_consent="on"))
    assert response.status_code == 302, response.content
    assert lost  # the finalising task was queued on commit, and dropped
    request = SignatureRequest.objects.get(contract=contract, status=SignatureStatus.SIGNED)
    assert not Document.objects.filter(quote=contract.quote).exists()
    return request


def _age(contract: Contract, minutes: int) -> None:  # noqa: F811
    """As if all this had happened ``minutes`` ago."""
    then = timezone.now() - timedelta(minutes=minutes)
    Quote.objects.filter(pk=contract.quote_id).update(issued_at=then)
    Contract.objects.filter(pk=contract.pk).update(created_at=then)
    SignatureRequest.objects.filter(contract=contract).update(completed_at=then)


def _kinds(contract: Contract) -> list[str]:  # noqa: F811
    return sorted(Document.objects.filter(quote=contract.quote).values_list("kind", flat=True))


def test_the_sweep_finalises_a_signed_contract_once_after_the_grace_period(
    client: Client,
    contract: Contract,  # noqa: F811
    advisor: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(advisor)
    _signed_then_crash(client, contract, django_capture_on_commit_callbacks)

    # Within the grace period the normal task may still be running: left alone.
    call_command("sweep_side_effects")
    assert _kinds(contract) == []

    _age(contract, minutes=3)
    call_command("sweep_side_effects")
    expected = sorted([*SEALED, DocumentKind.QUOTE, DocumentKind.CONTRACT])
    assert _kinds(contract) == expected
    copies = [m for m in mail.outbox if "documents signés" in m.subject]
    assert len(copies) == 1 and copies[0].to == ["elise@example.test"]
    sent = len(mail.outbox)

    # Idempotent: a second pass (or the beat task) finds nothing more to do.
    from nomad_web.tasks import sweep_side_effects

    assert sweep_side_effects.delay().get() == {"failed": 0}
    assert _kinds(contract) == expected
    assert len(mail.outbox) == sent


def test_the_sweep_runs_from_beat() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-side-effects"]
    assert entry["task"] == "nomad_web.tasks.sweep_side_effects"
    assert settings.SWEEP_GRACE_SECONDS == 120


def test_the_sweep_completes_what_a_partial_run_left(
    contract: Contract,  # noqa: F811
    client: Client,
    advisor: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(advisor)
    request = _signed_then_crash(client, contract, django_capture_on_commit_callbacks)
    _age(contract, minutes=3)
    call_command("sweep_side_effects")
    first = {d.kind: d.sha256 for d in Document.objects.filter(quote=contract.quote)}
    # A crash in the middle of finalising: the evidence PDF was never stored.
    Document.objects.get(quote=contract.quote, kind=DocumentKind.EVIDENCE).delete()
    call_command("sweep_side_effects")
    again = {d.kind: d.sha256 for d in Document.objects.filter(quote=contract.quote)}
    assert set(again) == set(first)
    # What had been kept is kept as it was; only the missing one was made again.
    assert all(again[k] == first[k] for k in first if k != DocumentKind.EVIDENCE)
    assert request.pk == SignatureRequest.objects.get(contract=contract).pk


def test_the_waiting_contract_shows_to_its_agency_manager_and_in_healthz(
    client: Client,
    contract: Contract,  # noqa: F811
    advisor: User,
    manager: User,
    other_agency: Agency,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    client.force_login(advisor)
    _signed_then_crash(client, contract, django_capture_on_commit_callbacks)
    title = "Contrats signés qui attendent encore leurs documents signés"

    _age(contract, minutes=3)  # swept soon, not an alert yet
    client.force_login(manager)
    assert title not in client.get(reverse("dashboard:index")).content.decode()
    client.logout()
    # The count is a detail: for the bearer of the metrics token (or staff), not anyone.
    settings.METRICS_TOKEN = "sweeps-token"
    token = {"HTTP_AUTHORIZATION": "Bearer sweeps-token"}
    assert "signed_waiting_documents" not in client.get("/healthz").json()
    assert client.get("/healthz", **token).json()["signed_waiting_documents"] == 0

    _age(contract, minutes=15)
    client.force_login(manager)
    page = client.get(reverse("dashboard:index")).content.decode()
    assert title in page and contract.quote.reference in page

    stranger = UserFactory(role=Role.MANAGER, agencies=[other_agency])
    client.force_login(stranger)
    page = client.get(reverse("dashboard:index")).content.decode()
    assert title not in page and contract.quote.reference not in page

    client.logout()
    body = client.get("/healthz", **token).json()
    assert body["signed_waiting_documents"] == 1
    assert "Dumont" not in str(body) and contract.quote.reference not in str(body)

    call_command("sweep_side_effects")
    assert client.get("/healthz", **token).json()["signed_waiting_documents"] == 0
