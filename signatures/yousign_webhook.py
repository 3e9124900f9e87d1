"""Yousign's webhooks: verified, kept once per event id, mapped to our statuses.

Yousign signs the raw body with the subscription's secret and retries a delivery that
did not get a 2xx, with the same ``event_id``. So: a bad signature changes nothing
(403); an event already kept is answered 200 and not applied again; an event about a
request we do not know is kept with its outcome and answered 200, so Yousign stops; and
when the signed files cannot be fetched yet, nothing is kept and the answer is 503, so
Yousign delivers the event again later.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from quotes.models import DocumentKind, QuoteStatus
from quotes.services import QuoteError, quote_set_status
from signatures.models import Provider, SignatureRequest, SignatureStatus, WebhookEvent
from signatures.services import signature_close, signature_complete
from signatures.yousign import YousignClient
from signatures.yousign_provider import SENT_KINDS, yousign_client

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Yousign-Signature-256"
DECLINED = {"signature_request.declined", "signer.declined"}


def yousign_signature_valid(*, body: bytes, header: str) -> bool:
    """True when ``header`` is ``sha256=<hex HMAC-SHA256 of body>`` with our secret."""
    secret = settings.YOUSIGN_WEBHOOK_SECRET
    if not secret or not header.startswith("sha256="):
        return False  # no secret configured: nothing can be trusted
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def _request_id(payload: dict[str, Any]) -> str:
    data = payload.get("data") or {}
    signature_request = data.get("signature_request") or {}
    return str(signature_request.get("id") or "")


def _event_time(payload: dict[str, Any]) -> datetime:
    try:
        return datetime.fromtimestamp(int(payload.get("event_time") or 0), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return timezone.now()


def _pages(pdf: bytes) -> int:
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        return int(PdfFileReader(BytesIO(pdf), strict=False).root["/Pages"]["/Count"])
    except Exception:  # noqa: BLE001 - the count is informative; a file we keep anyway
        return 0


def _fetch_signed_files(request: SignatureRequest, client: YousignClient) -> dict[str, bytes]:
    """The signed documents by kind and the audit trail, downloaded from Yousign."""
    sent = request.evidence.get("provider", {}).get("documents", {})
    files = client.download_documents(request_id=request.external_id)
    by_kind: dict[str, bytes] = {}
    for kind, signed_kind in SENT_KINDS.items():
        filename = sent.get(kind, {}).get("filename", "")
        content = files.get(filename)
        if content is None and len(files) == len(SENT_KINDS):
            # Yousign renamed the files: they come back in the order they were sent.
            content = list(files.values())[list(SENT_KINDS).index(kind)]
        if content is not None:
            by_kind[signed_kind] = content
    by_kind[DocumentKind.AUDIT_TRAIL] = client.download_audit_trail(request_id=request.external_id)
    return by_kind


def yousign_webhook_handle(*, payload: dict[str, Any], client: YousignClient | None = None) -> str:
    """Apply one verified event; returns the outcome kept with it.

    Raises ``YousignError`` when the signed files cannot be downloaded: nothing is kept,
    and the caller answers so that Yousign tries again.
    """
    event_id = str(payload.get("event_id") or "")[:64]
    name = str(payload.get("event_name") or "")[:64]
    if WebhookEvent.objects.filter(event_id=event_id).exists():
        return "replay"
    request = SignatureRequest.objects.filter(
        provider=Provider.YOUSIGN, external_id=_request_id(payload) or "-"
    ).first()
    files: dict[str, bytes] = {}
    if (
        request is not None
        and name == "signature_request.done"
        and request.status == SignatureStatus.PENDING
    ):
        # Downloaded before the transaction: no database lock is held during the calls.
        files = _fetch_signed_files(request, client or yousign_client())
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(event_id=event_id, name=name, payload=payload)
        except IntegrityError:
            return "replay"  # the same delivery, handled meanwhile by another worker
        outcome = _apply(name=name, payload=payload, request=request, files=files)
        event.outcome = outcome[:200]
        event.save(update_fields=["outcome"])
    logger.info("Yousign %s %s: %s", name, event_id, outcome)
    return outcome


def _apply(
    *,
    name: str,
    payload: dict[str, Any],
    request: SignatureRequest | None,
    files: dict[str, bytes],
) -> str:
    if request is None:
        return "unknown request"
    request = (
        SignatureRequest.objects.select_for_update()
        .select_related("contract__quote")
        .get(pk=request.pk)
    )
    at = _event_time(payload)
    evidence = request.evidence
    provider = evidence.setdefault("provider", {})
    provider.setdefault("events", []).append(
        {"event": name, "at": at.isoformat(), "event_id": payload.get("event_id", "")}
    )
    if request.status != SignatureStatus.PENDING:
        request.save(update_fields=["evidence"])
        return f"ignored: the request is {request.status}"

    if name == "signer.done":
        evidence.setdefault("times", {})["signed_at"] = at.isoformat()
        request.signed_at = at
        request.save(update_fields=["evidence", "signed_at"])
        return "signer done"
    if name == "signature_request.done":
        return _done(request=request, at=at, files=files)
    if name == "signature_request.expired":
        request.save(update_fields=["evidence"])
        signature_close(request=request, status=SignatureStatus.EXPIRED, reason="Yousign")
        return "expired"
    if name in DECLINED:
        request.save(update_fields=["evidence"])
        reason = _decline_reason(payload)
        signature_close(request=request, status=SignatureStatus.DECLINED, reason=reason)
        quote = request.contract.quote
        if quote.status == QuoteStatus.ISSUED:
            quote_set_status(quote=quote, status=QuoteStatus.REFUSED)
        return "declined"
    if name == "signature_request.canceled":
        request.save(update_fields=["evidence"])
        signature_close(request=request, status=SignatureStatus.CANCELLED, reason="Yousign")
        return "cancelled"
    request.save(update_fields=["evidence"])
    return "ignored"


def _decline_reason(payload: dict[str, Any]) -> str:
    data = payload.get("data") or {}
    for holder in (data.get("signature_request") or {}, data.get("signer") or {}):
        info = holder.get("decline_information") or {}
        if info.get("reason"):
            return str(info["reason"])
    return "Refusé sur Yousign"


def _done(*, request: SignatureRequest, at: datetime, files: dict[str, bytes]) -> str:
    from quotes.documents import document_store

    quote = request.contract.quote
    signed_files: dict[str, dict[str, Any]] = {}
    try:
        with transaction.atomic():
            for kind, content in files.items():
                # Stored before the signed state: the evidence task keeps these as they are
                # (Yousign's signature in them) instead of printing its own versions.
                document = document_store(
                    quote=quote, kind=kind, content=content, pages=_pages(content)
                )
                signed_files[kind] = {"sha256": document.sha256, "size": document.size}
            evidence = request.evidence
            times = evidence.setdefault("times", {})
            times.setdefault("signed_at", at.isoformat())
            times["received_at"] = timezone.now().isoformat()
            evidence["provider"]["signed_files"] = signed_files
            request.signed_at = request.signed_at or at
            request.save(update_fields=["evidence", "signed_at"])
            signature_complete(request=request)
    except QuoteError as exc:
        # e.g. the quote expired by the nightly job while the client was signing: kept
        # for a person to look at, rather than retried by Yousign for ever.
        logger.error("Yousign signature of %s not applied: %s", quote, exc)
        return f"not applied: {exc}"
    return "signed"
