"""Signing pages. Starting a signature goes through the agency's provider; the tablet page
posts one complete, replayable request (through the offline queue when there is no
network), answered as JSON to the queue, as a page otherwise."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nomad_web.http import SYNC_HEADER, AuthenticatedHttpRequest, client_ip
from nomad_web.text import without_bidi_controls
from organisation.scoping import get_for_user_or_404
from quotes.models import Contract, Document, DocumentKind
from signatures.canonical import canonical_form, canonical_json
from signatures.models import IdentityDocument, SignatureRequest, SignatureStatus
from signatures.providers import Signer, provider_for
from signatures.services import OnSiteSubmission, SignatureError, intervention_town, onsite_sign
from visits.submissions import DEVICE_HEADER, submission_run


def _get_contract_for_user(request: AuthenticatedHttpRequest, pk: int) -> Contract:
    return get_for_user_or_404(
        Contract.objects.select_related(
            "quote__visit__prospect", "quote__visit__agency__brand", "general_terms"
        ),
        request.user,
        pk=pk,
    )


@require_POST
@login_required
def signature_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    contract = _get_contract_for_user(request, pk)
    prospect = contract.quote.visit.prospect
    signer = Signer(
        first_name=prospect.first_name,
        last_name=prospect.last_name,
        email=prospect.email,
        phone=prospect.phone,
    )
    try:
        started = provider_for(agency=contract.quote.visit.agency).start(
            contract=contract, signer=signer, user=request.user
        )
    except SignatureError as exc:
        messages.error(request, str(exc))
        return redirect("quotes:quote_detail", pk=contract.quote_id)
    return redirect(started.next_url)


def _page_context(contract: Contract, **extra: Any) -> dict[str, Any]:
    quote = contract.quote
    return {
        "contract": contract,
        "quote": quote,
        "visit": quote.visit,
        "form": canonical_form(contract=contract),
        "canonical": canonical_json(contract=contract),
        "figures": quote.figures,
        "signed": contract.signature_requests.filter(status=SignatureStatus.SIGNED).first(),
        "identity_documents": IdentityDocument.choices,
        "place": intervention_town(quote.parties.get("client", {})),
        **extra,
    }


def onsite_submission(request: AuthenticatedHttpRequest) -> OnSiteSubmission:
    """The fields of a signature made on the tablet, as the form or the outbox posts them."""
    data = request.POST
    try:
        device = json.loads(data.get("device", "{}"))
    except ValueError:
        device = {}
    if not isinstance(device, dict):
        device = {}
    device = {str(k)[:40]: str(v)[:300] for k, v in list(device.items())[:20]}
    device["user_agent_at_receipt"] = request.headers.get("User-Agent", "")[:300]
    device["device_id"] = request.headers.get(DEVICE_HEADER, "")[:64]
    try:
        client_uuid = UUID(data.get("submission_id", ""))
    except ValueError:
        client_uuid = None
    return OnSiteSubmission(
        signer_first_name=without_bidi_controls(data.get("signer_first_name", "")[:100]),
        signer_last_name=without_bidi_controls(data.get("signer_last_name", "")[:100]),
        identity_confirmed=data.get("identity_confirmed") == "on",
        documents_read=data.get("documents_read") == "on",
        withdrawal_information_received=data.get("withdrawal_information") == "on",
        signature_data_url=data.get("signature", ""),
        document_hash=data.get("document_hash", "")[:64],
        presented_at=data.get("presented_at", "")[:40],
        signed_at=data.get("signed_at", "")[:40],
        device=device,
        client_uuid=client_uuid,
        identity_document=data.get("identity_document", "")[:30],
        # A signature queued before the client ticked the request at signature (L221-25)
        # keeps the one the contract it signed showed.
        early_start_requested=data.get("early_start_requested") == "on"
        if data.get("consents_at_signature") == "1"
        else None,
        durable_medium_consent=data.get("durable_medium_consent") == "on",
        place=without_bidi_controls(data.get("signature_place", "")[:100]),
    )


@require_http_methods(["GET", "POST"])
@login_required
def onsite(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    contract = _get_contract_for_user(request, pk)
    if request.method == "GET":
        return render(request, "signatures/onsite.html", _page_context(contract))
    submission = onsite_submission(request)
    sync = request.headers.get(SYNC_HEADER) == "1"
    done = submission_run(
        request=request,
        visit_id=contract.quote.visit_id,
        client_uuid=submission.client_uuid,
        handle=lambda: _sign(request, contract, submission),
    )
    if done.mismatch:
        message = _("This signature was already sent with other data: nothing was signed twice.")
        return _refused(request, contract, sync, 422, message)
    if sync:
        return JsonResponse(done.body, status=done.status)
    if done.replayed:
        return redirect("signatures:onsite", pk=pk)
    if done.status != 200:
        return _refused(request, contract, sync, done.status, done.body["message"])
    messages.success(request, _("Signed. The signed documents are sent to the client."))
    return redirect("signatures:onsite", pk=pk)


def _sign(
    request: AuthenticatedHttpRequest, contract: Contract, submission: OnSiteSubmission
) -> tuple[int, dict[str, Any], SignatureRequest | None]:
    """The signature made on the tablet, as (status, JSON answer, signature)."""
    try:
        signature = onsite_sign(
            contract=contract, submission=submission, user=request.user, ip=client_ip(request) or ""
        )
    except SignatureError as exc:
        return 422, {"status": 422, "message": str(exc)}, None
    status = 409 if signature.status == SignatureStatus.CONFLICT else 200
    body = {
        "status": status,
        "signature": signature.pk,
        "next_url": reverse("signatures:onsite", args=[contract.pk]),
        **({"message": signature.reason} if status == 409 else {}),
    }
    return status, body, signature


def _refused(
    request: AuthenticatedHttpRequest, contract: Contract, sync: bool, status: int, message: str
) -> HttpResponse:
    if sync:
        return JsonResponse({"status": status, "message": message}, status=status)
    return render(
        request, "signatures/onsite.html", _page_context(contract, error=message), status=status
    )


@require_GET
@login_required
def signed_document(request: AuthenticatedHttpRequest, pk: int, kind: str) -> FileResponse:
    contract = _get_contract_for_user(request, pk)
    if kind not in {
        DocumentKind.SIGNED_QUOTE,
        DocumentKind.SIGNED_CONTRACT,
        DocumentKind.EVIDENCE,
        DocumentKind.EVIDENCE_JSON,
        DocumentKind.AUDIT_TRAIL,
    }:
        raise Http404
    document = Document.objects.filter(quote=contract.quote, kind=kind).first()
    if document is None:
        raise Http404
    content_type = "application/json" if kind == DocumentKind.EVIDENCE_JSON else "application/pdf"
    return FileResponse(
        document.file.open("rb"), filename=document.filename, content_type=content_type
    )
