"""Remote signature through Yousign v3, behind the provider interface.

``start`` sends the quote and the contract as two signable documents of one Yousign
signature request (two files, so each is kept signed under its own kind and the client
gets the same two documents as on the tablet), with one signature field on each, where
the client's signature box is printed. The Yousign request expires with the quote.

Nothing is created on our side until Yousign has activated the request; if a step fails
before that, the Yousign draft is deleted, and if our record cannot be saved after it,
the Yousign request is cancelled: a failure leaves nothing half-made on either side.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from organisation.models import User
from quotes.documents import document_html, document_layout, document_render
from quotes.models import Contract, Document, DocumentKind, Quote
from signatures.canonical import canonical_hash
from signatures.models import Provider, SignatureRequest, SignatureStatus
from signatures.providers import Signer, Started
from signatures.services import SignatureError, _check_signable, signature_close
from signatures.yousign import (
    SignatureField,
    SignerInfo,
    YousignAuthError,
    YousignClient,
    YousignError,
    YousignUnavailable,
    YousignValidationError,
)

logger = logging.getLogger(__name__)

#: The unsigned documents sent, in this order, and the signed kinds they come back as.
SENT_KINDS: dict[str, str] = {
    DocumentKind.QUOTE: DocumentKind.SIGNED_QUOTE,
    DocumentKind.CONTRACT: DocumentKind.SIGNED_CONTRACT,
}
#: The id of the client's signature box in the document templates.
SIGNATURE_BOX_ID = "signature-client"
CSS_PX_TO_PT = 0.75


def yousign_client() -> YousignClient:
    """A client configured from the settings, read at call time."""
    return YousignClient(
        base_url=settings.YOUSIGN_API_URL,
        api_key=settings.YOUSIGN_API_KEY,
        timeout=settings.YOUSIGN_TIMEOUT_SECONDS,
        backoff=settings.YOUSIGN_RETRY_BACKOFF_SECONDS,
    )


def yousign_error_message(exc: YousignError, *, sending: bool = True) -> str:
    """What the advisor reads when Yousign refused or did not answer.

    ``sending``: the error came while sending the documents (else: a reminder or a
    cancellation, where a refusal is about the request's state, not our data).
    """
    if isinstance(exc, YousignValidationError) and not sending:
        return _("Yousign refused: %(detail)s") % {"detail": exc.detail or exc.status}
    if isinstance(exc, YousignAuthError):
        return _(
            "Yousign refused our access key: remote signature is unavailable. "
            "Tell the head office, or have the client sign on the tablet."
        )
    if isinstance(exc, YousignValidationError):
        return _("Yousign refused the documents or the signer's details: %(detail)s") % {
            "detail": exc.detail or exc.status
        }
    if isinstance(exc, YousignUnavailable):
        return _(
            "Yousign cannot be reached at the moment: nothing was sent. Try again in a "
            "few minutes, or have the client sign on the tablet."
        )
    return _("Yousign refused the request (error %(status)s).") % {"status": exc.status}


@dataclass(frozen=True)
class SignatureSpot:
    page: int
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class _Signer:
    first_name: str
    last_name: str
    email: str
    phone: str


def _signer_for(quote: Quote, signer: Signer) -> _Signer:
    """The signer given by the advisor, completed from the quote's client."""
    prospect = quote.visit.prospect
    client = quote.parties.get("client", {})
    first = (signer.first_name or prospect.first_name).strip()
    last = (signer.last_name or prospect.last_name).strip()
    email = (signer.email or client.get("email") or prospect.email or "").strip()
    phone = (signer.phone or client.get("phone") or "").strip()
    if not (first and last):
        raise SignatureError(_("Give the signer's first and last name."))
    if not email:
        raise SignatureError(
            _(
                "The client has no email address: Yousign sends the documents and the "
                "one-time code by email. Add the address to the client's file first."
            )
        )
    return _Signer(first, last, email, phone)


def _check_can_start(contract: Contract) -> Quote:
    """Refuse before anything is sent to Yousign (locks the quote: call in a transaction)."""
    quote = _check_signable(contract)
    live = SignatureRequest.objects.filter(
        contract=contract, status__in=[SignatureStatus.PENDING, SignatureStatus.SIGNED]
    )
    if live.exists():
        raise SignatureError(_("A signature of this contract is already in progress."))
    return quote


def signature_spot(*, quote: Quote, kind: str, pages: int) -> SignatureSpot:
    """Where the client's signature box is printed in the document (page from 1, points).

    The document is laid out again from the same template and data as the stored PDF,
    and the box is found by its id; when it cannot be found, the field goes at the
    bottom left of the last page rather than nowhere.
    """
    try:
        rendered = document_layout(html=document_html(quote=quote, kind=kind))
    except Exception:
        logger.exception("Could not lay out %s of %s to place the signature", kind, quote)
        rendered = None
    for number, page in enumerate(rendered.pages if rendered else [], start=1):
        if SIGNATURE_BOX_ID in page.anchors:
            # (x1, y1, x2, y2) in CSS pixels from the top left of the page.
            x1, y1, x2, y2 = (round(v * CSS_PX_TO_PT) for v in page.anchors[SIGNATURE_BOX_ID])
            # Inside the box, below its caption ("Le client …").
            return SignatureSpot(
                page=number,
                x=x1 + 4,
                y=y1 + 22,
                width=max(85, min(180, x2 - x1 - 8)),
                height=max(37, min(60, y2 - y1 - 26)),
            )
    return SignatureSpot(page=max(pages, 1), x=57, y=700, width=180, height=60)


def _read(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def _discard(client: YousignClient, request_id: str, *, activated: bool) -> None:
    """Undo a Yousign request we will not follow; a failure here is only logged."""
    try:
        if activated:
            client.cancel(
                request_id=request_id,
                reason="contractualization_aborted",
                custom_note="Demande abandonnée par NOMAD",
            )
        else:
            client.delete(request_id=request_id)
    except YousignError:
        logger.exception("Could not discard the Yousign request %s", request_id)


class YousignProvider:
    """The client signs remotely, by email link or in a frame of our status page."""

    key: str = Provider.YOUSIGN

    def __init__(self, client: YousignClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> YousignClient:
        if self._client is None:
            self._client = yousign_client()
        return self._client

    def start(self, *, contract: Contract, signer: Signer, user: User | None) -> Started:
        if not settings.YOUSIGN_API_KEY:
            raise SignatureError(_("Remote signature is not configured: sign on the tablet."))
        with transaction.atomic():
            quote = _check_can_start(contract)
        quote = Quote.objects.select_related("visit__prospect", "brand").get(pk=quote.pk)
        who = _signer_for(quote, signer)
        embedded: bool = settings.YOUSIGN_EMBEDDED
        documents = {kind: document_render(quote=quote, kind=kind) for kind in SENT_KINDS}
        # What the client is shown, hashed now: the same form as on the tablet.
        canonical = canonical_hash(contract=contract)
        sent = self._send(
            quote=quote, documents=documents, who=who, embedded=embedded, canonical=canonical
        )
        try:
            with transaction.atomic():
                contract = Contract.objects.select_for_update().get(pk=contract.pk)
                _check_can_start(contract)
                request = SignatureRequest.objects.create(
                    contract=contract,
                    provider=Provider.YOUSIGN,
                    status=SignatureStatus.PENDING,
                    signer_first_name=who.first_name,
                    signer_last_name=who.last_name,
                    signer_email=who.email,
                    signer_phone=who.phone,
                    document_hash=canonical,
                    external_id=sent["request_id"],
                    external_signer_id=sent["signer_id"],
                    signature_link=sent["signature_link"],
                    evidence=sent["evidence"],
                    created_by=user,
                )
        except (SignatureError, IntegrityError) as exc:
            # Started twice at once, or the quote changed meanwhile: ours is the extra one.
            _discard(self.client, sent["request_id"], activated=True)
            if isinstance(exc, SignatureError):
                raise
            raise SignatureError(
                _("A signature of this contract is already in progress.")
            ) from None
        return Started(
            next_url=reverse("signatures:remote_detail", args=[request.pk]), request=request
        )

    def _send(
        self,
        *,
        quote: Quote,
        documents: dict[str, Document],
        who: _Signer,
        embedded: bool,
        canonical: str,
    ) -> dict[str, Any]:
        """Create, fill and activate the Yousign request; raise SignatureError on failure."""
        client = self.client
        request_id = ""
        try:
            created = client.create_signature_request(
                name=f"Devis et contrat {quote.reference}",
                delivery_mode="none" if embedded else "email",
                external_id=f"nomad-quote-{quote.pk}",
                expiration_date=quote.valid_until.isoformat(),
            )
            request_id = str(created["id"])
            fields, uploaded = [], {}
            for kind, document in documents.items():
                pdf = _read(document)
                answer = client.upload_document(
                    request_id=request_id, pdf=pdf, filename=document.filename
                )
                spot = signature_spot(quote=quote, kind=kind, pages=document.pages)
                fields.append(SignatureField(document_id=str(answer["id"]), **asdict(spot)))
                uploaded[kind] = {
                    "yousign_id": str(answer["id"]),
                    "filename": document.filename,
                    "sha256": document.sha256,
                    "field": asdict(spot),
                }
            added = client.add_signer(
                request_id=request_id,
                info=SignerInfo(
                    first_name=who.first_name, last_name=who.last_name, email=who.email
                ),
                fields=fields,
            )
            signer_id = str(added["id"])
            activated = client.activate(request_id=request_id)
        except YousignError as exc:
            logger.warning("Yousign refused a signature request of %s: %s", quote, exc)
            if request_id:
                _discard(client, request_id, activated=False)
            raise SignatureError(yousign_error_message(exc)) from exc
        link = ""
        for one in activated.get("signers") or []:
            if str(one.get("id")) == signer_id:
                link = str(one.get("signature_link") or "")
        now = timezone.now().isoformat()
        return {
            "request_id": request_id,
            "signer_id": signer_id,
            "signature_link": link if embedded else "",
            "evidence": {
                "signer": {
                    "first_name": who.first_name,
                    "last_name": who.last_name,
                    "email": who.email,
                    "authentication": "otp_email",
                },
                "document": {"canonical_sha256": canonical},
                "times": {"presented_at": now},
                "provider": {
                    "name": "yousign",
                    "api": settings.YOUSIGN_API_URL,
                    "signature_request_id": request_id,
                    "signer_id": signer_id,
                    "delivery_mode": "none" if embedded else "email",
                    "status": str(activated.get("status", "")),
                    "documents": uploaded,
                    "events": [{"event": "activated", "at": now}],
                },
            },
        }

    def cancel(self, *, request: SignatureRequest, reason: str) -> SignatureRequest:
        if request.status != SignatureStatus.PENDING:
            raise SignatureError(_("Only a signature in progress can be cancelled."))
        try:
            self.client.cancel(
                request_id=request.external_id,
                reason="contractualization_aborted",
                custom_note=reason[:255],
            )
        except YousignError as exc:
            raise SignatureError(yousign_error_message(exc, sending=False)) from exc
        with transaction.atomic():
            locked = SignatureRequest.objects.select_for_update().get(pk=request.pk)
            if locked.status != SignatureStatus.PENDING:
                return locked  # the webhook of the cancellation came first
            return signature_close(request=locked, status=SignatureStatus.CANCELLED, reason=reason)

    def remind(self, *, request: SignatureRequest) -> None:
        if request.status != SignatureStatus.PENDING:
            raise SignatureError(_("Only a signature in progress can be reminded."))
        if request.evidence.get("provider", {}).get("delivery_mode") == "none":
            raise SignatureError(
                _("This signature is made on our page, not by email: there is nobody to remind.")
            )
        try:
            self.client.remind(request_id=request.external_id, signer_id=request.external_signer_id)
        except YousignError as exc:
            raise SignatureError(yousign_error_message(exc, sending=False)) from exc
