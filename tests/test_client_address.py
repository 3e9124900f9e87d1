"""Behind reverse proxies: the client's address, the login limits and the access log."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from nomad_web.http import client_ip
from organisation.models import AccessEvent, Agency, User
from quotes.models import Contract
from quotes.services import contract_create, quote_create_draft, quote_issue
from signatures.models import SignatureRequest, SignatureStatus
from tests.factories import PASSWORD, make_price_list, make_visit_ready_to_quote

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"  # what REMOTE_ADDR is in production: the reverse proxy
SYNC = {"X-Nomad-Sync": "1", "X-Nomad-Device": "tablet-1"}  # the tablet's outbox


def _request(forwarded: str = "", remote: str = PROXY) -> Any:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers)


def test_client_ip_trusts_only_the_configured_proxy_hops(settings: Any) -> None:
    forged_then_real = "6.6.6.6, 203.0.113.7"  # the client sent 6.6.6.6, the proxy appended
    settings.NOMAD_TRUSTED_PROXIES = 0
    assert client_ip(_request(forged_then_real)) == PROXY
    settings.NOMAD_TRUSTED_PROXIES = 1
    assert client_ip(_request(forged_then_real)) == "203.0.113.7"
    assert client_ip(_request()) == PROXY  # no header: the direct peer
    assert client_ip(_request("not-an-address")) == PROXY
    settings.NOMAD_TRUSTED_PROXIES = 2
    assert client_ip(_request("198.51.100.9, 10.0.0.4")) == "198.51.100.9"


def _login(client: Client, email: str, password: str, ip: str) -> Any:
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=ip,
    )


def test_one_client_over_the_limit_does_not_lock_out_the_others(
    client: Client, advisor: User, settings: Any
) -> None:
    settings.NOMAD_TRUSTED_PROXIES = 1
    for n in range(10):  # the per-address limit, on accounts that do not exist
        _login(client, f"guess{n}@example.test", "wrong", "198.51.100.66")
    refused = _login(client, "guess99@example.test", "wrong", "198.51.100.66")
    assert "Trop de tentatives" in refused.content.decode()

    response = _login(Client(), advisor.email, PASSWORD, "203.0.113.7")
    assert response.status_code == 302, response.content.decode()


def test_the_account_limit_holds_across_addresses_and_is_logged(
    client: Client, advisor: User, settings: Any
) -> None:
    settings.NOMAD_TRUSTED_PROXIES = 1
    for n in range(5):
        _login(client, advisor.email, "wrong", f"198.51.100.{n + 1}")
    response = _login(client, advisor.email.upper(), PASSWORD, "203.0.113.7")

    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failures = AccessEvent.objects.filter(kind=AccessEvent.Kind.LOGIN_FAILURE)
    counted = failures.exclude(detail="rate_limited").values_list("ip_address", flat=True)
    assert sorted(str(ip) for ip in counted) == [f"198.51.100.{n + 1}" for n in range(5)]
    throttled = failures.get(detail="rate_limited")
    assert throttled.ip_address == "203.0.113.7"
    assert throttled.email == advisor.email


@pytest.fixture
def contract(agency: Agency) -> Contract:
    make_price_list(agency.brand)
    visit = make_visit_ready_to_quote(agency, email="elise@example.test")
    quote = quote_issue(quote=quote_create_draft(visit=visit, user=None))
    return contract_create(quote=quote, user=None, early_start_requested=False)


def test_the_signature_evidence_keeps_the_client_address(
    client: Client, advisor: User, contract: Contract, settings: Any
) -> None:
    settings.NOMAD_TRUSTED_PROXIES = 1
    client.force_login(advisor)
    # A hash that is not the server's: the attempt is kept as a conflict, with its evidence.
    client.post(
        reverse("signatures:onsite", args=[contract.pk]),
        {
            "signer_first_name": "Élise",
            "signer_last_name": "Dumont",
            "identity_confirmed": "on",
            "identity_document": "identity_card",
            "signature_place": "Lyon",
            "consents_at_signature": "1",
            "documents_read": "on",
            "withdrawal_information": "on",
            "signature": _drawn_signature(),
            "document_hash": "0" * 64,
            "presented_at": "2026-11-30T09:58:00Z",
            "signed_at": "2026-11-30T10:02:00Z",
            "device": json.dumps({"platform": "Linux armv8l"}),
            "submission_id": str(uuid.uuid4()),
        },
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
    )
    signature = SignatureRequest.objects.get(contract=contract)
    assert signature.status == SignatureStatus.CONFLICT
    assert signature.evidence["ip_at_receipt"] == "203.0.113.7"


def test_the_evidence_of_a_signature_from_the_outbox_keeps_the_client_address(
    client: Client, advisor: User, agency: Agency, settings: Any
) -> None:
    from quotes.document_model import contract_model, model_json, model_sha256
    from tests.test_sale_device import _reference, quote_post, tablet_model

    settings.NOMAD_TRUSTED_PROXIES = 1
    client.force_login(advisor)
    make_price_list(agency.brand)
    visit = make_visit_ready_to_quote(agency)
    quote_model = tablet_model(visit, _reference(visit, 5))
    quote_id, contract_id = uuid.uuid4(), uuid.uuid4()
    client.post(
        f"/visites/{visit.uuid}/vente/devis/",
        quote_post(visit, quote_model, quote_id),
        headers=SYNC,
    )
    made_at = timezone.now() - timedelta(minutes=5)
    full = contract_model(
        quote_model=quote_model,
        contract_date=timezone.localdate(made_at).isoformat(),
        early_start_requested=False,
    )
    contract = {"submission_id": str(contract_id), "quote": str(quote_id)}
    contract.update(made_at=made_at.isoformat(), document_sha256=model_sha256(full))
    client.post(
        f"/visites/{visit.pk}/vente/contrat/",
        {**contract, "model": model_json(full)},
        headers=SYNC,
    )
    answer = client.post(
        f"/visites/{visit.pk}/vente/signature/",
        {
            "submission_id": str(uuid.uuid4()),
            "contract": str(contract_id),
            "signer_first_name": "Élise",
            "signer_last_name": "Dumont",
            "identity_confirmed": "on",
            "identity_document": "passport",
            "signature_place": "Nantes",
            "consents_at_signature": "1",
            "documents_read": "on",
            "withdrawal_information": "on",
            "signature": _drawn_signature(),
            "document_hash": "0" * 64,  # not the server's: kept as a conflict, nothing sealed
            "signed_at": timezone.now().isoformat(),
        },
        REMOTE_ADDR=PROXY,
        headers={**SYNC, "X-Forwarded-For": "6.6.6.6, 203.0.113.8"},
    )
    assert answer.status_code == 409, answer.content
    signature = SignatureRequest.objects.get(contract__client_uuid=contract_id)
    assert signature.evidence["ip_at_receipt"] == "203.0.113.8"


def _drawn_signature() -> str:
    from tests.test_signature_onsite import drawn_signature

    return drawn_signature()
