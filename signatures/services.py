"""Signing, whoever the provider: validation, the signed state, the evidence, the seal."""

from __future__ import annotations

import base64
import binascii
import io
import uuid
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organisation.models import User
from privacy.audit import audit_record
from privacy.models import AuditAction
from quotes.document_model import model_sha256
from quotes.models import Contract, Quote, QuoteStatus
from quotes.services import quote_set_status
from signatures.canonical import canonical_hash
from signatures.models import (
    IdentityDocument,
    PaperCopyTask,
    Provider,
    SignatureRequest,
    SignatureStatus,
)
from visits.models import Conflict
from visits.services import visit_mark_signed

MAX_SIGNATURE_BYTES = 400_000  # the PNG, decoded from base64
# The pad is the page's width (1260 CSS px at most) by 220 CSS px, times the screen's
# pixel ratio (up to 3): larger is no tablet's drawing, and would cost memory to decode.
MAX_SIGNATURE_WIDTH = 4000
MAX_SIGNATURE_HEIGHT = 1000
MIN_INK_PIXELS = 150  # a dot or a stray tap is not a signature


class SignatureError(Exception):
    """A signature that cannot be accepted; the message is for the person who tried."""


def _check_signable(contract: Contract) -> Quote:
    quote = Quote.objects.select_for_update().get(pk=contract.quote_id)
    if quote.status == QuoteStatus.SIGNED or contract.signed_at:
        raise SignatureError(_("This contract is already signed."))
    if quote.status == QuoteStatus.SUPERSEDED:
        raise SignatureError(_("This quote was revised: have the new version signed."))
    if quote.status == QuoteStatus.EXPIRED or quote.valid_until < timezone.localdate():
        raise SignatureError(_("This quote has expired: issue a new one before signing."))
    if quote.status != QuoteStatus.ISSUED:
        raise SignatureError(_("Only an issued quote can be signed."))
    return quote


def signature_image_decode(*, data_url: str) -> bytes:
    """The PNG of a drawn signature, refused when empty, malformed or too large."""
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise SignatureError(_("The signature is missing: ask the client to sign in the box."))
    encoded = data_url[len(prefix) :]
    # Base64 takes 4 characters for 3 bytes: refused before decoding anything.
    if len(encoded) > 4 * -(-MAX_SIGNATURE_BYTES // 3):
        raise SignatureError(_("The signature image is too large."))
    try:
        png = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(_("The signature image is unreadable.")) from None
    if len(png) > MAX_SIGNATURE_BYTES:
        raise SignatureError(_("The signature image is too large."))
    from PIL import Image, UnidentifiedImageError

    too_big = _("The signature image is too big: %(width)s × %(height)s pixels at most.") % {
        "width": MAX_SIGNATURE_WIDTH,
        "height": MAX_SIGNATURE_HEIGHT,
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(png)) as image:
                if image.format != "PNG":
                    raise SignatureError(_("The signature image is unreadable."))
                # The size comes from the header: checked before any pixel is decoded.
                width, height = image.size
                if width > MAX_SIGNATURE_WIDTH or height > MAX_SIGNATURE_HEIGHT:
                    raise SignatureError(too_big)
                alpha = image.convert("RGBA").getchannel("A")
                # Count the inked pixels: the histogram of the thresholded alpha channel.
                ink = alpha.point(lambda a: 255 if a > 32 else 0).histogram()[255]
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise SignatureError(too_big) from None
    except (UnidentifiedImageError, OSError):
        raise SignatureError(_("The signature image is unreadable.")) from None
    if ink < MIN_INK_PIXELS:
        raise SignatureError(_("The signature is empty: ask the client to sign in the box."))
    return png


@dataclass
class OnSiteSubmission:
    signer_first_name: str
    signer_last_name: str
    identity_confirmed: bool
    documents_read: bool
    withdrawal_information_received: bool
    signature_data_url: str
    document_hash: str
    presented_at: str
    signed_at: str
    device: dict[str, Any]
    client_uuid: uuid.UUID | None
    # The client's own acts at signature (unticked by default): L221-25 and L221-9.
    identity_document: str = ""
    # None: a form from before this was asked at signature (the contract's choice stands).
    early_start_requested: bool | None = False
    durable_medium_consent: bool = False
    # "Fait à": the intervention's town unless the advisor typed another place.
    place: str = ""
    # Where the SHA-256 the device sent was computed: the canonical JSON of the
    # document model (tablet) — the only form the tablet has offline.
    presented_form: str = "document_model"


@transaction.atomic
def onsite_sign(
    *, contract: Contract, submission: OnSiteSubmission, user: User | None, ip: str
) -> SignatureRequest:
    """Record a signature made on the tablet (possibly offline, replayed later).

    A hash that differs from the server's recomputed one is a stored conflict: the
    request is kept with status "conflict" and nothing is printed as signed.
    """
    contract = (
        Contract.objects.select_for_update()
        .select_related("quote", "general_terms")
        .get(pk=contract.pk)
    )
    if submission.client_uuid and (
        done := SignatureRequest.objects.filter(client_uuid=submission.client_uuid).first()
    ):
        if done.contract_id != contract.pk:  # another contract's: said without naming it
            raise SignatureError(_("This signature's id is already taken: nothing was signed."))
        return done  # the same submission replayed
    if not (submission.signer_first_name.strip() and submission.signer_last_name.strip()):
        raise SignatureError(_("Give the signer's first and last name."))
    if not submission.identity_confirmed:
        raise SignatureError(_("Confirm that you checked the signer's identity."))
    if submission.identity_document not in IdentityDocument.values:
        raise SignatureError(_("Choose the identity document you checked."))
    if not submission.place.strip():
        raise SignatureError(_("Give the place where the contract is signed."))
    if not (submission.documents_read and submission.withdrawal_information_received):
        raise SignatureError(
            _(
                "The client must confirm having read the documents "
                "and received the withdrawal information."
            )
        )
    png = signature_image_decode(data_url=submission.signature_data_url)
    _check_signable(contract)
    received_at = timezone.now()
    expected = canonical_hash(contract=contract)
    signed_at = _parse_time(submission.signed_at) or received_at
    early_start = submission.early_start_requested
    early_start_source = "signature"
    if early_start is None:
        early_start, early_start_source = contract.early_start_requested, "contract"
    client = contract.quote.parties.get("client", {})
    email = str(client.get("email") or "")
    place = submission.place.strip()[:100]
    signed_model = signed_document_model(
        contract_model=contract.document_model,
        place=place,
        signed_at=signed_at,
        early_start_requested=early_start,
        durable_medium_consent=submission.durable_medium_consent,
    )
    evidence = {
        "signer": {
            "first_name": submission.signer_first_name.strip(),
            "last_name": submission.signer_last_name.strip(),
            "email": email,
            "identity_checked_by": str(user) if user else "",
            "identity_document": submission.identity_document,
            "identity_document_label": IDENTITY_LABELS_FR[submission.identity_document],
        },
        "document": {
            "canonical_sha256": expected,
            "presented_sha256": submission.document_hash,
            # The tablet hashes the document model it shows (it has no PDF offline).
            "presented_form": submission.presented_form,
            "signed_model_sha256": model_sha256(signed_model),
        },
        "signed_model": signed_model,
        "consents": {
            "documents_read": submission.documents_read,
            "withdrawal_information_received": submission.withdrawal_information_received,
            # Ticked by the client at signature (L221-25), unticked by default.
            "early_start_requested": early_start,
            # "signature": ticked (or not) by the client at signature; "contract": a write
            # queued before that, the request as the contract signed showed it.
            "early_start_source": early_start_source,
            # L221-9: the signed copy by email rather than on paper.
            "durable_medium_email": submission.durable_medium_consent,
        },
        "place": {"value": place, "intervention_town": intervention_town(client)},
        "device": submission.device,
        "times": {
            "presented_at": submission.presented_at,
            "signed_at": submission.signed_at,
            "received_at": received_at.isoformat(),
        },
        "clocks": {"presented_at": "tablet", "signed_at": "tablet", "received_at": "server"},
        "ip_at_receipt": ip,
        "signature_png_base64": base64.b64encode(png).decode(),
    }
    request = SignatureRequest(
        contract=contract,
        provider=Provider.ONSITE,
        signer_first_name=submission.signer_first_name.strip(),
        signer_last_name=submission.signer_last_name.strip(),
        signer_email=email,
        document_hash=submission.document_hash,
        client_uuid=submission.client_uuid,
        evidence=evidence,
        created_by=user,
    )
    if submission.document_hash != expected:
        request.status = SignatureStatus.CONFLICT
        request.reason = _("The document signed on the tablet differs from the server's.")
        request.completed_at = received_at
        request.save()
        # Shown with the other conflicts, to the advisor and the manager.
        Conflict.objects.create(
            visit=contract.quote.visit,
            step="signature",
            client_uuid=submission.client_uuid,
            base_version=contract.quote.visit.version,
            server_version=contract.quote.visit.version,
            mine={"reason": request.reason, "document_sha256": submission.document_hash},
            theirs={"reason": request.reason, "document_sha256": expected},
            conflicting_keys=["document_sha256"],
            author=user,
            device_id=submission.device.get("device_id", ""),
        )
        return request
    request.status = SignatureStatus.SIGNED
    request.signed_at = signed_at
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:
        raise SignatureError(_("This contract is already signed.")) from None
    # The client's express request, made at signature, is what the contract records.
    contract.early_start_requested = early_start
    contract.save(update_fields=["early_start_requested"])
    signature_complete(request=request)
    return request


# The French labels printed in the evidence file (the PDF is in French whatever the UI).
IDENTITY_LABELS_FR: dict[str, str] = {
    IdentityDocument.IDENTITY_CARD: "Carte nationale d'identité",
    IdentityDocument.PASSPORT: "Passeport",
    IdentityDocument.RESIDENCE_PERMIT: "Titre de séjour",
    IdentityDocument.DRIVING_LICENCE: "Permis de conduire",
    IdentityDocument.OTHER: "Autre pièce d'identité officielle",
}


def intervention_town(client: dict[str, Any]) -> str:
    """The town of the place of intervention ("address, postcode town"), else the client's."""
    place = str(client.get("place_of_intervention") or "")
    tail = place.rsplit(",", 1)[-1].strip()
    town = tail.split(" ", 1)[1] if " " in tail and tail.split(" ", 1)[0].isdigit() else tail
    return town or str(client.get("city") or "")


def signed_document_model(
    *,
    contract_model: dict[str, Any],
    place: str,
    signed_at: datetime,
    early_start_requested: bool,
    durable_medium_consent: bool,
) -> dict[str, Any]:
    """The contract's model with what the client added at signature: the express request
    to start early, the consent to the email copy, "Fait à <place>, le <date>". This is
    what the signed contract prints; its SHA-256 is in the evidence."""
    contract_part = dict(contract_model.get("contract") or {})
    contract_part["early_start_requested"] = bool(early_start_requested)
    return {
        **contract_model,
        "contract": contract_part,
        # Not "signature": the templates get that name for the printed signature box.
        "signing": {
            "place": place,
            "date": timezone.localtime(signed_at).date().isoformat(),
            "signed_at": signed_at.isoformat(),
            "early_start_requested": bool(early_start_requested),
            "durable_medium_consent": bool(durable_medium_consent),
        },
    }


def _parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return parsed if timezone.is_aware(parsed) else None


def signature_complete(*, request: SignatureRequest) -> SignatureRequest:
    """The signed state, for either provider (inside the caller's transaction).

    Quote signed, contract signed, visit signed, the contract.signed hook; the signed
    documents, the evidence and the email follow from a task once this commits.
    """
    from signatures.tasks import signature_finalise

    contract = request.contract
    now = timezone.now()
    if request.status != SignatureStatus.SIGNED:
        request.status = SignatureStatus.SIGNED
    request.signed_at = request.signed_at or now
    request.completed_at = now
    request.save(update_fields=["status", "signed_at", "completed_at"])
    contract.signed_at = request.signed_at
    contract.save(update_fields=["signed_at"])
    # On the tablet the advisor recorded it; a remote signature is the provider's word.
    by = request.created_by if request.provider == Provider.ONSITE else None
    prospect_id = contract.quote.visit.prospect_id
    audit_record(
        user=by,
        action=AuditAction.SIGN,
        obj=request,
        prospect_id=prospect_id,
        changes={"status": [SignatureStatus.PENDING, request.status]},
    )
    audit_record(
        user=by,
        action=AuditAction.SIGN,
        obj=contract,
        prospect_id=prospect_id,
        changes={"signed_at": [None, request.signed_at]},
    )
    quote = quote_set_status(quote=contract.quote, status=QuoteStatus.SIGNED, user=by)
    visit_mark_signed(visit=quote.visit, user=by)
    transaction.on_commit(lambda: signature_finalise.delay(request.pk))
    return request


def signature_close(
    *, request: SignatureRequest, status: str, reason: str = ""
) -> SignatureRequest:
    """Declined, expired or cancelled: the request ends, the contract stays unsigned."""
    before = request.status
    request.status = status
    request.reason = reason[:300]
    request.completed_at = timezone.now()
    request.save(update_fields=["status", "reason", "completed_at"])
    audit_record(
        user=None,
        action=AuditAction.STATUS,
        obj=request,
        prospect_id=request.contract.quote.visit.prospect_id,
        changes={"status": [before, status]},
        reason=request.reason,
    )
    return request


def paper_copy_mark_done(*, task: PaperCopyTask, on: date, user: User) -> PaperCopyTask:
    """The agency handed or posted the paper copy of the signed contract on ``on``."""
    if task.done_on is not None:
        raise SignatureError(_("This paper copy was already marked as handed over."))
    if on > timezone.localdate():
        raise SignatureError(_("The date the copy was handed over cannot be in the future."))
    if on < timezone.localdate(task.created_at):
        raise SignatureError(_("The copy cannot have been handed over before the signature."))
    before = {"done_on": None}
    task.done_on = on
    task.done_by = user
    task.done_recorded_at = timezone.now()
    task.save(update_fields=["done_on", "done_by", "done_recorded_at"])
    audit_record(
        user=user,
        action=AuditAction.STATUS,
        obj=task,
        prospect_id=task.contract.quote.visit.prospect_id,
        changes={"done_on": [before["done_on"], on.isoformat()]},
    )
    return task
