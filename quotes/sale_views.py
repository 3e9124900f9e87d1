"""The sale on the tablet: its page (rendered on the device from the prepared data and
the outbox, so it works offline) and the three writes its outbox sends: issue the quote,
make the contract, sign. Each write is JSON in, JSON out, replayable by submission id."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from nomad_web.http import DEVICE_HEADER, AuthenticatedHttpRequest, client_ip
from quotes.device_services import (
    DeviceResult,
    contract_create_from_device,
    quote_issue_from_device,
)
from quotes.models import Contract
from quotes.services import QuoteError
from signatures.models import IdentityDocument, SignatureStatus
from signatures.services import SignatureError, onsite_sign
from signatures.views import onsite_submission
from visits.submissions import submission_answer
from visits.views.access import get_visit_for_user


def _model(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    try:
        model = json.loads(request.POST.get("model", ""))
    except ValueError:
        raise QuoteError(_("The document sent by the tablet is unreadable.")) from None
    if not isinstance(model, dict):
        raise QuoteError(_("The document sent by the tablet is unreadable."))
    return model


def _optional_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _result(result: DeviceResult) -> tuple[int, dict[str, Any]]:
    if result.conflict is not None:
        return 409, {
            "message": result.conflict.mine.get("reason", ""),
            "conflict_url": reverse("visits:conflict_detail", args=[result.conflict.pk]),
        }
    body: dict[str, Any] = {}
    if result.quote is not None:
        body["quote"] = {
            "id": result.quote.pk,
            "number": result.quote.reference,
            "url": reverse("quotes:quote_detail", args=[result.quote.pk]),
            "pdf_url": reverse("quotes:quote_pdf", args=[result.quote.pk]),
        }
    if result.contract is not None:
        body["contract"] = {
            "id": result.contract.pk,
            "pdf_url": reverse("quotes:contract_pdf", args=[result.contract.quote_id]),
            "signed_url": reverse("signatures:onsite", args=[result.contract.pk]),
        }
    return 200, body


@require_GET
@login_required
def sale_page(request: AuthenticatedHttpRequest, pk: int | uuid.UUID) -> HttpResponse:
    visit = get_visit_for_user(request, pk, template_ok=True)
    context = {
        "visit": visit,
        "texts_json": json.dumps(_texts()),
        # The signature step's choices (the place is prefilled on the tablet from the visit).
        "identity_documents": IdentityDocument.choices,
    }
    return render(request, "quotes/sale.html", context)


def _texts() -> dict[str, str]:
    """What the tablet's sale page says, translated here (the page draws itself offline)."""
    return {
        "notPrepared": _("This visit was not prepared on this tablet: prepare the day first."),
        "notConfirmed": _("Confirm the estimate before making the quote."),
        "openEstimate": _("Open the estimate"),
        "makeQuote": _("Make the quote"),
        "issueQuote": _("Issue the quote"),
        "makeContract": _("Make the contract"),
        "sign": _("Have it signed on the tablet"),
        "stepQuote": _("Quote"),
        "stepContract": _("Contract"),
        "stepSignature": _("Signature"),
        "draft": _("Made on this tablet, not issued yet"),
        "issuedHere": _("Issued on this tablet (reference %(ref)s), waiting for sync"),
        "issued": _("Issued: number %(number)s (tablet reference %(ref)s)"),
        "madeHere": _("Made on this tablet, waiting for sync"),
        "made": _("Made and received by the server"),
        "signedHere": _("Signed, waiting for sync"),
        "signed": _("Signed and received: the sealed documents are sent to the client"),
        "waitingFor": _("Waiting for: %(what)s"),
        "refused": _("Refused by the server: %(message)s"),
        "conflict": _("Conflict: %(message)s"),
        "openConflict": _("See the conflict"),
        "sending": _("Sending…"),
        "seePdf": _("See the PDF"),
        "signedDocuments": _("Signed documents"),
        "signatureMissing": _("The signature is missing: ask the client to sign in the box."),
    }


@require_POST
@login_required
def sale_quote(request: AuthenticatedHttpRequest, pk: int | uuid.UUID) -> JsonResponse:
    visit = get_visit_for_user(request, pk)

    def handle(client_uuid: uuid.UUID) -> tuple[int, dict[str, Any]]:
        data = request.POST
        try:
            price_list = data.get("price_list", "")
            result = quote_issue_from_device(
                visit=visit,
                client_uuid=client_uuid,
                device_reference=data.get("device_reference", "")[:40],
                issued_at=data.get("issued_at", "")[:40],
                price_list_id=int(price_list) if price_list.isdigit() else None,
                document_sha256=data.get("document_sha256", "")[:64],
                model=_model(request),
                user=request.user,
                device_id=request.headers.get(DEVICE_HEADER, "")[:64],
            )
        except QuoteError as exc:
            return 422, {"message": str(exc)}
        return _result(result)

    return submission_answer(request=request, visit_id=visit.pk, handle=handle)


@require_POST
@login_required
def sale_contract(request: AuthenticatedHttpRequest, pk: int | uuid.UUID) -> JsonResponse:
    visit = get_visit_for_user(request, pk)

    def handle(client_uuid: uuid.UUID) -> tuple[int, dict[str, Any]]:
        data = request.POST
        try:
            result = contract_create_from_device(
                visit=visit,
                client_uuid=client_uuid,
                quote_uuid=_optional_uuid(data.get("quote", "")),
                # Sent only by writes queued before the client made this request at signature
                # (L221-25); today's tablet never sends it (static/js/sale.js).
                early_start_requested=data.get("early_start_requested") == "on",
                made_at=data.get("made_at", "")[:40],
                document_sha256=data.get("document_sha256", "")[:64],
                model=_model(request),
                user=request.user,
                device_id=request.headers.get(DEVICE_HEADER, "")[:64],
            )
        except QuoteError as exc:
            return 422, {"message": str(exc)}
        return _result(result)

    return submission_answer(request=request, visit_id=visit.pk, handle=handle)


@require_POST
@login_required
def sale_signature(request: AuthenticatedHttpRequest, pk: int | uuid.UUID) -> JsonResponse:
    visit = get_visit_for_user(request, pk)

    def handle(client_uuid: uuid.UUID) -> tuple[int, dict[str, Any]]:
        contract_uuid = _optional_uuid(request.POST.get("contract", ""))
        contract = Contract.objects.filter(client_uuid=contract_uuid, quote__visit=visit).first()
        if contract_uuid is None or contract is None:
            return 422, {"message": _("The contract signed has not reached the server.")}
        try:
            signature = onsite_sign(
                contract=contract,
                submission=onsite_submission(request),
                user=request.user,
                ip=client_ip(request) or "",
            )
        except SignatureError as exc:
            return 422, {"message": str(exc)}
        if signature.status == SignatureStatus.CONFLICT:
            return 409, {"message": signature.reason}
        return 200, {
            "signature": signature.pk,
            "signed_url": reverse("signatures:onsite", args=[contract.pk]),
        }

    return submission_answer(request=request, visit_id=visit.pk, handle=handle)
