"""Remote signature through Yousign v3, against a local server that follows its contract."""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from organisation.models import Agency, Role, User
from quotes.models import Contract, Document, DocumentKind, Quote, QuoteStatus
from quotes.services import contract_create, quote_create_draft, quote_issue
from signatures.models import Provider, SignatureRequest, SignatureStatus, WebhookEvent
from signatures.providers import Signer, provider_for
from signatures.services import SignatureError
from signatures.yousign import (
    YousignAuthError,
    YousignClient,
    YousignUnavailable,
    YousignValidationError,
)
from signatures.yousign_provider import SignatureSpot, YousignProvider
from tests.factories import UserFactory, make_price_list, make_visit_ready_to_quote
from tests.test_signature_onsite import sign_entries
from tests.yousign_server import SIGNED_MARKER, FakeYousign, tiny_pdf
from visits.models import VisitStatus

pytestmark = pytest.mark.django_db

SECRET = "whsec-test"
WEBHOOK = "/signatures/yousign/webhook/"


@pytest.fixture
def yousign(settings: Any) -> Iterator[FakeYousign]:
    server = FakeYousign().start()
    settings.YOUSIGN_API_URL = server.base_url
    settings.YOUSIGN_API_KEY = server.api_key
    settings.YOUSIGN_WEBHOOK_SECRET = SECRET
    settings.YOUSIGN_TIMEOUT_SECONDS = 2
    settings.YOUSIGN_RETRY_BACKOFF_SECONDS = 0.001
    settings.YOUSIGN_EMBEDDED = False
    yield server
    server.stop()


# Laying out and printing PDFs takes seconds: only the full flow does it for real.
REAL_DOCUMENTS = {"test_it_signs_remotely_from_start_to_signed_documents_emailed"}


@pytest.fixture(autouse=True)
def _fast_documents(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.originalname in REAL_DOCUMENTS:
        return
    from quotes import documents
    from signatures import evidence, yousign_provider

    def pdf(*, html: str) -> tuple[bytes, int]:
        return tiny_pdf("Document"), 1

    monkeypatch.setattr(documents, "document_pdf", pdf)
    monkeypatch.setattr(evidence, "document_pdf", pdf)
    monkeypatch.setattr(
        yousign_provider,
        "signature_spot",
        lambda **kwargs: SignatureSpot(page=1, x=57, y=600, width=180, height=60),
    )


@pytest.fixture
def remote_agency(agency: Agency) -> Agency:
    agency.signature_provider = Provider.YOUSIGN
    agency.save()
    make_price_list(agency.brand)
    return agency


def _contract(agency: Agency, **prospect: Any) -> Contract:
    # The PDFs are rendered when the signature starts (their on-commit tasks do not run).
    quote = quote_issue(
        quote=quote_create_draft(visit=make_visit_ready_to_quote(agency, **prospect), user=None)
    )
    return contract_create(quote=quote, user=None, early_start_requested=False)


@pytest.fixture
def contract(remote_agency: Agency) -> Contract:
    return _contract(remote_agency)


def _start(contract: Contract, user: User | None = None) -> SignatureRequest:
    started = provider_for(agency=contract.quote.visit.agency).start(
        contract=contract, signer=Signer(first_name="", last_name=""), user=user
    )
    assert started.request is not None
    return started.request


def _deliver(client: Client, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        headers={k.removeprefix("HTTP_"): v for k, v in headers.items()},
    )


def _assert_in_client_box(pdf: bytes, field: dict[str, Any]) -> None:
    """The field starts just below and left of the word "client" of the box's caption."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        words = subprocess.run(
            [
                "pdftotext",
                "-bbox",
                "-f",
                str(field["page"]),
                "-l",
                str(field["page"]),
                handle.name,
                "-",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    captions = [
        (float(m["x"]), float(m["y"]))
        for m in re.finditer(r'xMin="(?P<x>[\d.]+)" yMin="(?P<y>[\d.]+)"[^>]*>client</word>', words)
    ]
    assert any(0 < x - field["x"] < 25 and 0 < field["y"] - y < 30 for x, y in captions), (
        field,
        captions,
    )


def _nothing_created(yousign: FakeYousign) -> None:
    assert SignatureRequest.objects.count() == 0
    # Whatever reached Yousign was deleted as a draft: nobody was sent anything.
    assert all(r["status"] in ("draft", "deleted") for r in yousign.requests.values())
    assert not any(r["status"] == "ongoing" for r in yousign.requests.values())


# -- the full flow ----------------------------------------------------------------------


def test_it_signs_remotely_from_start_to_signed_documents_emailed(
    yousign: FakeYousign,
    contract: Contract,
    advisor: User,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = _start(contract, advisor)
    assert request.provider == Provider.YOUSIGN
    assert request.status == SignatureStatus.PENDING
    remote = yousign.requests[request.external_id]
    assert remote["status"] == "ongoing"
    assert remote["delivery_mode"] == "email"
    assert remote["expiration_date"] == contract.quote.valid_until.isoformat()
    assert [d["filename"] for d in remote["documents"]] == [
        f"devis-{contract.quote.reference}.pdf",
        f"contrat-{contract.quote.reference}.pdf",
    ]
    signer = remote["signers"][0]
    assert signer["info"]["email"] == "prospect@example.test"
    assert request.external_signer_id == signer["id"]
    assert len(signer["fields"]) == 2  # one signature field on each document
    for document, field in zip(remote["documents"], signer["fields"], strict=True):
        assert field["document_id"] == document["id"]
        _assert_in_client_box(document["content"], field)
    assert request.signer_email == "prospect@example.test"
    assert request.signature_link == ""
    assert len(request.document_hash) == 64

    mail.outbox.clear()
    yousign.sign(request.external_id)
    body, headers = yousign.webhook("signer.done", request.external_id, secret=SECRET)
    assert _deliver(client, body, headers).json() == {"outcome": "signer done"}
    body, headers = yousign.webhook("signature_request.done", request.external_id, secret=SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        response = _deliver(client, body, headers)
    assert response.status_code == 200
    assert response.json() == {"outcome": "signed"}

    request.refresh_from_db()
    contract.refresh_from_db()
    quote = Quote.objects.get(pk=contract.quote_id)
    assert request.status == SignatureStatus.SIGNED and request.signed_at
    assert contract.signed_at == request.signed_at
    assert quote.status == QuoteStatus.SIGNED
    assert quote.visit.status == VisitStatus.SIGNED
    assert sign_entries(contract) == 1

    stored = {d.kind: d for d in Document.objects.filter(quote=quote)}
    for kind, unsigned in (
        (DocumentKind.SIGNED_QUOTE, DocumentKind.QUOTE),
        (DocumentKind.SIGNED_CONTRACT, DocumentKind.CONTRACT),
    ):
        content = stored[kind].file.open("rb").read()
        # Yousign's own signed file, kept as it came, with its SHA-256.
        assert content == stored[unsigned].file.open("rb").read() + SIGNED_MARKER
        assert stored[kind].sha256 == hashlib.sha256(content).hexdigest()
    audit = stored[DocumentKind.AUDIT_TRAIL].file.open("rb").read()
    assert audit.startswith(b"%PDF") and stored[DocumentKind.AUDIT_TRAIL].pages == 1
    assert {DocumentKind.EVIDENCE, DocumentKind.EVIDENCE_JSON} <= set(stored)
    evidence = stored[DocumentKind.EVIDENCE_JSON].file.open("rb").read().decode()
    assert request.external_id in evidence
    assert stored[DocumentKind.AUDIT_TRAIL].sha256 in evidence
    assert [e["event"] for e in request.evidence["provider"]["events"]] == [
        "activated",
        "signer.done",
        "signature_request.done",
    ]

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["prospect@example.test"]
    attached = {a[0]: a[1] for a in message.attachments}
    assert attached == {
        stored[DocumentKind.SIGNED_QUOTE].filename: stored[DocumentKind.SIGNED_QUOTE]
        .file.open("rb")
        .read(),
        stored[DocumentKind.SIGNED_CONTRACT].filename: stored[DocumentKind.SIGNED_CONTRACT]
        .file.open("rb")
        .read(),
    }


def test_it_shows_the_status_page_with_remind_and_cancel(
    yousign: FakeYousign, contract: Contract, advisor: User, client: Client
) -> None:
    request = _start(contract, advisor)
    client.force_login(advisor)
    page = client.get(reverse("signatures:remote_detail", args=[request.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "prospect@example.test" in html
    assert "Relancer" in html and "Annuler" in html
    assert "<iframe" not in html

    response = client.post(reverse("signatures:remote_remind", args=[request.pk]))
    assert response.status_code == 303
    assert yousign.reminders == [(request.external_id, request.external_signer_id)]

    response = client.post(
        reverse("signatures:remote_cancel", args=[request.pk]), {"reason": "Le client hésite"}
    )
    assert response.status_code == 303
    request.refresh_from_db()
    assert request.status == SignatureStatus.CANCELLED
    assert request.reason.startswith("Le client hésite")
    assert yousign.requests[request.external_id]["status"] == "canceled"
    # Yousign's own notice of the cancellation changes nothing more.
    body, headers = yousign.webhook(
        "signature_request.canceled", request.external_id, secret=SECRET
    )
    assert _deliver(client, body, headers).json()["outcome"] == "ignored: the request is cancelled"


def test_it_hides_another_agencys_request(
    yousign: FakeYousign, contract: Contract, other_agency: Agency, client: Client
) -> None:
    request = _start(contract)
    client.force_login(UserFactory(role=Role.ADVISOR, agencies=[other_agency]))
    assert client.get(reverse("signatures:remote_detail", args=[request.pk])).status_code == 404
    assert client.post(reverse("signatures:remote_cancel", args=[request.pk])).status_code == 404
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING


def test_it_frames_the_yousign_page_in_embedded_mode_on_that_page_only(
    yousign: FakeYousign, contract: Contract, advisor: User, client: Client, settings: Any
) -> None:
    settings.YOUSIGN_EMBEDDED = True
    request = _start(contract, advisor)
    assert yousign.requests[request.external_id]["delivery_mode"] == "none"
    assert request.signature_link.startswith("https://app.yousign.app/")
    client.force_login(advisor)
    page = client.get(reverse("signatures:remote_detail", args=[request.pk]))
    html = page.content.decode()
    assert f'src="{request.signature_link}"' in html
    assert "Relancer" not in html  # nobody to remind: the client signs here
    policy = page["Content-Security-Policy"]
    assert "frame-src https://yousign.app https://*.yousign.app" in policy
    assert "frame-ancestors 'none'" in policy
    other = client.get(reverse("quotes:quote_detail", args=[contract.quote_id]))
    assert "yousign" not in other["Content-Security-Policy"]


# -- failures of the API ----------------------------------------------------------------


def test_it_reports_a_refused_api_key_and_creates_nothing(
    yousign: FakeYousign, contract: Contract, settings: Any
) -> None:
    settings.YOUSIGN_API_KEY = "wrong"
    with translation.override("fr"), pytest.raises(SignatureError, match="clé d’accès"):
        _start(contract)
    assert yousign.requests == {}
    assert SignatureRequest.objects.count() == 0


def test_it_surfaces_a_validation_error_in_french_and_creates_nothing(
    yousign: FakeYousign, remote_agency: Agency
) -> None:
    # An address Yousign refuses (our check only asks for one): the API's 422 detail.
    contract = _contract(remote_agency, email="x")
    original = yousign._add_signer

    def refuse(**kwargs: Any) -> Any:
        from tests.yousign_server import _invalid

        raise _invalid("info.email: This value is not a valid email address.")

    yousign._add_signer = refuse  # type: ignore[method-assign]
    try:
        with translation.override("fr"), pytest.raises(SignatureError) as error:
            _start(contract)
    finally:
        yousign._add_signer = original  # type: ignore[method-assign]
    assert str(error.value) == (
        "Yousign a refusé les documents ou les coordonnées du signataire : "
        "info.email: This value is not a valid email address."
    )
    _nothing_created(yousign)
    assert [r["status"] for r in yousign.requests.values()] == ["deleted"]


def test_it_refuses_a_client_without_email_before_calling_yousign(
    yousign: FakeYousign, remote_agency: Agency
) -> None:
    contract = _contract(remote_agency, email="")
    with translation.override("fr"), pytest.raises(SignatureError, match="adresse e-mail"):
        _start(contract)
    assert yousign.calls == []
    assert SignatureRequest.objects.count() == 0


def test_it_retries_server_errors_with_backoff_then_succeeds(
    yousign: FakeYousign, contract: Contract
) -> None:
    yousign.fail(2, status=503)
    request = _start(contract)
    assert request.status == SignatureStatus.PENDING
    assert yousign.calls[0] == yousign.calls[1] == yousign.calls[2]  # the create, 3 times
    assert yousign.requests[request.external_id]["status"] == "ongoing"


def test_it_gives_up_after_the_retries_and_leaves_nothing_half_made(
    yousign: FakeYousign, contract: Contract
) -> None:
    # The create and two uploads go through, then Yousign fails for good.
    original = yousign._add_signer

    def broken(**kwargs: Any) -> Any:
        from tests.yousign_server import _Answer

        raise _Answer(502, {"detail": "Bad gateway"})

    yousign._add_signer = broken  # type: ignore[method-assign]
    try:
        with translation.override("fr"), pytest.raises(SignatureError, match="joindre Yousign"):
            _start(contract)
    finally:
        yousign._add_signer = original  # type: ignore[method-assign]
    assert [c for c in yousign.calls if c[1].endswith("/signers")] == [
        ("POST", f"/v3/signature_requests/{next(iter(yousign.requests))}/signers")
    ] * 4  # one call and three retries
    _nothing_created(yousign)
    assert [r["status"] for r in yousign.requests.values()] == ["deleted"]


def test_it_cancels_at_yousign_when_our_record_cannot_be_made(
    yousign: FakeYousign, contract: Contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another advisor started the same contract while Yousign was being called.
    from signatures import yousign_provider

    checks = iter([None, SignatureError("A signature of this contract is already in progress.")])

    def check(contract: Contract) -> Quote:
        failure = next(checks)
        if failure:
            raise failure
        return contract.quote

    monkeypatch.setattr(yousign_provider, "_check_can_start", check)
    with pytest.raises(SignatureError, match="already in progress"):
        _start(contract)
    assert SignatureRequest.objects.count() == 0
    assert [r["status"] for r in yousign.requests.values()] == ["canceled"]


def test_it_raises_typed_errors_from_the_client(yousign: FakeYousign) -> None:
    delays: list[float] = []
    client = YousignClient(
        base_url=yousign.base_url, api_key="wrong", max_retries=3, sleep=delays.append
    )
    with pytest.raises(YousignAuthError) as auth:
        client.create_signature_request(name="x")
    assert auth.value.status == 401 and delays == []  # a 4xx is never retried

    client = YousignClient(base_url=yousign.base_url, api_key=yousign.api_key, sleep=delays.append)
    with pytest.raises(YousignValidationError) as invalid:
        client.create_signature_request(name="")
    assert invalid.value.status == 422
    assert invalid.value.detail == "name: This value should not be blank."
    assert invalid.value.invalid_params == [{"name": "name", "reason": "required"}]
    created = client.create_signature_request(name="Devis")
    with pytest.raises(YousignValidationError, match="nature"):
        client._json(
            "POST",
            f"/signature_requests/{created['id']}/documents",
            data={"nature": "poster"},
            files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")},
        )
    assert delays == []

    yousign.fail(5, status=500)
    with pytest.raises(YousignUnavailable):
        client.get(request_id=created["id"])
    assert delays == [0.5, 1.0, 2.0]  # exponential backoff, then give up
    yousign.fail(1)  # the fifth injected failure, then success
    assert client.get(request_id=created["id"])["status"] == "draft"


def test_it_retries_a_timeout_then_gives_up(yousign: FakeYousign) -> None:
    delays: list[float] = []
    client = YousignClient(
        base_url=yousign.base_url,
        api_key=yousign.api_key,
        timeout=0.2,
        max_retries=1,
        sleep=delays.append,
    )
    yousign.slow(0.6, times=1)
    assert client.create_signature_request(name="Lent")["status"] == "draft"  # second try
    yousign.slow(0.6, times=2)
    with pytest.raises(YousignUnavailable, match="ReadTimeout"):
        client.create_signature_request(name="Trop lent")
    assert delays == [0.5, 0.5]


# -- bad input --------------------------------------------------------------------------


def test_it_refuses_a_revised_quote_without_calling_yousign(
    yousign: FakeYousign, contract: Contract, remote_agency: Agency
) -> None:
    quote = Quote.objects.get(pk=contract.quote_id)
    Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.SUPERSEDED)
    with translation.override("fr"), pytest.raises(SignatureError, match=r"révisé|revised"):
        _start(contract)
    assert yousign.calls == []
    assert SignatureRequest.objects.count() == 0


def test_it_refuses_an_expired_quote_without_calling_yousign(
    yousign: FakeYousign, contract: Contract
) -> None:
    Quote.objects.filter(pk=contract.quote_id).update(status=QuoteStatus.EXPIRED)
    with pytest.raises(SignatureError):
        _start(contract)
    assert yousign.calls == []
    assert SignatureRequest.objects.count() == 0


def test_it_refuses_a_second_request_for_the_same_contract(
    yousign: FakeYousign, contract: Contract
) -> None:
    _start(contract)
    calls = len(yousign.calls)
    with pytest.raises(SignatureError, match=r"already in progress|déjà en cours"):
        _start(contract)
    assert len(yousign.calls) == calls
    assert SignatureRequest.objects.count() == 1


# -- webhooks ---------------------------------------------------------------------------


def test_it_applies_a_webhook_replayed_twice_once(
    yousign: FakeYousign,
    contract: Contract,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = _start(contract)
    yousign.sign(request.external_id)
    body, headers = yousign.webhook(
        "signature_request.done", request.external_id, secret=SECRET, event_id="evt-1"
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = _deliver(client, body, headers)
    downloads = len([c for c in yousign.calls if c[1].endswith("/download")])
    second = _deliver(client, body, headers)
    third = _deliver(client, body, headers)
    assert first.json() == {"outcome": "signed"}
    assert second.status_code == third.status_code == 200
    assert second.json() == third.json() == {"outcome": "replay"}
    assert sign_entries(contract) == 1
    assert WebhookEvent.objects.filter(event_id="evt-1").count() == 1
    assert len([c for c in yousign.calls if c[1].endswith("/download")]) == downloads
    assert (
        Document.objects.filter(quote=contract.quote_id, kind=DocumentKind.SIGNED_QUOTE).count()
        == 1
    )


@pytest.mark.parametrize(
    "header",
    ["", "sha256=", "sha256=" + "0" * 64, "md5=abc"],
    ids=["missing", "empty", "wrong", "other-scheme"],
)
def test_it_refuses_a_webhook_with_a_bad_signature(
    yousign: FakeYousign, contract: Contract, client: Client, header: str
) -> None:
    request = _start(contract)
    yousign.sign(request.external_id)
    body, _headers = yousign.webhook("signature_request.done", request.external_id, secret=SECRET)
    response = _deliver(client, body, {"X-Yousign-Signature-256": header} if header else {})
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING
    assert WebhookEvent.objects.count() == 0
    assert not Document.objects.filter(quote=contract.quote_id, kind=DocumentKind.SIGNED_QUOTE)


def test_it_refuses_a_webhook_signed_with_another_secret_or_altered(
    yousign: FakeYousign, contract: Contract, client: Client
) -> None:
    request = _start(contract)
    body, headers = yousign.webhook("signature_request.expired", request.external_id, secret="x")
    assert _deliver(client, body, headers).status_code == 403
    body, headers = yousign.webhook("signature_request.expired", request.external_id, secret=SECRET)
    assert _deliver(client, body + b" ", headers).status_code == 403
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING


def test_it_answers_200_to_a_webhook_about_an_unknown_request(
    yousign: FakeYousign, contract: Contract, client: Client
) -> None:
    request = _start(contract)
    body, headers = yousign.webhook(
        "signature_request.done", "not-ours", secret=SECRET, event_id="evt-unknown"
    )
    response = _deliver(client, body, headers)
    assert response.status_code == 200
    assert response.json() == {"outcome": "unknown request"}
    assert WebhookEvent.objects.get(event_id="evt-unknown").outcome == "unknown request"
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING
    assert not [c for c in yousign.calls if c[1].endswith("/download")]


def test_it_maps_declined_to_a_refused_quote(
    yousign: FakeYousign, contract: Contract, client: Client
) -> None:
    request = _start(contract)
    body, headers = yousign.webhook(
        "signature_request.declined",
        request.external_id,
        secret=SECRET,
        data={
            "signature_request": {
                "id": request.external_id,
                "status": "declined",
                "decline_information": {"reason": "Trop cher"},
            }
        },
    )
    assert _deliver(client, body, headers).json() == {"outcome": "declined"}
    request.refresh_from_db()
    assert request.status == SignatureStatus.DECLINED and request.reason == "Trop cher"
    assert Quote.objects.get(pk=contract.quote_id).status == QuoteStatus.REFUSED
    contract.refresh_from_db()
    assert contract.signed_at is None


def test_it_maps_expired_and_keeps_the_quote_issued(
    yousign: FakeYousign, contract: Contract, client: Client
) -> None:
    request = _start(contract)
    body, headers = yousign.webhook("signature_request.expired", request.external_id, secret=SECRET)
    assert _deliver(client, body, headers).json() == {"outcome": "expired"}
    request.refresh_from_db()
    assert request.status == SignatureStatus.EXPIRED and request.completed_at
    assert Quote.objects.get(pk=contract.quote_id).status == QuoteStatus.ISSUED
    # A new remote signature can now be started for the same contract.
    assert _start(contract).status == SignatureStatus.PENDING


def test_it_answers_503_and_keeps_nothing_when_the_signed_files_cannot_be_fetched(
    yousign: FakeYousign, contract: Contract, client: Client
) -> None:
    request = _start(contract)
    yousign.sign(request.external_id)
    body, headers = yousign.webhook(
        "signature_request.done", request.external_id, secret=SECRET, event_id="evt-later"
    )
    yousign.fail(4, status=503)
    assert _deliver(client, body, headers).status_code == 503
    assert not WebhookEvent.objects.filter(event_id="evt-later").exists()
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING
    # Yousign delivers it again: now it goes through.
    assert _deliver(client, body, headers).json() == {"outcome": "signed"}


def test_it_keeps_provider_for_an_onsite_agency(agency: Agency) -> None:
    assert not isinstance(provider_for(agency=agency), YousignProvider)


def test_it_shows_signatures_and_webhooks_read_only_in_the_admin(
    yousign: FakeYousign, contract: Contract, client: Client, staff: User
) -> None:
    from allauth.mfa.totp.internal.auth import TOTP

    request = _start(contract)
    body, headers = yousign.webhook("signature_request.expired", request.external_id, secret=SECRET)
    _deliver(client, body, headers)
    TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(staff)
    agency = contract.quote.visit.agency
    changelist = reverse("admin:signatures_signaturerequest_changelist")
    for query in (
        {"provider__exact": "yousign", "status__exact": "expired"},
        {"contract__quote__brand__id__exact": agency.brand_id},
        {"contract__quote__visit__agency__id__exact": agency.pk},
    ):
        page = client.get(changelist, query)
        assert page.status_code == 200 and "prospect@example.test" in page.content.decode()
    assert (
        "prospect@example.test"
        not in client.get(changelist, {"status__exact": "signed"}).content.decode()
    )
    events = client.get(reverse("admin:signatures_webhookevent_changelist")).content.decode()
    assert "signature_request.expired" in events
    event = WebhookEvent.objects.get()
    assert (
        client.get(reverse("admin:signatures_webhookevent_change", args=[event.pk])).status_code
        == 200
    )
    assert client.get(reverse("admin:signatures_signaturerequest_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:signatures_webhookevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert WebhookEvent.objects.count() == 1


def test_it_reports_a_cancel_refused_by_yousign_and_keeps_the_request(
    yousign: FakeYousign, contract: Contract
) -> None:
    request = _start(contract)
    yousign.sign(request.external_id)  # signed meanwhile: its webhook is on its way
    with translation.override("fr"), pytest.raises(SignatureError) as error:
        YousignProvider().cancel(request=request, reason="Erreur")
    assert str(error.value) == "Yousign a refusé : Only an ongoing request can be canceled."
    request.refresh_from_db()
    assert request.status == SignatureStatus.PENDING
