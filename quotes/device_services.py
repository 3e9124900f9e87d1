"""Writes of a sale made on the tablet, replayed from its outbox (possibly hours later).

The tablet built the document model itself, showed it to the client, and sends the
SHA-256 of its canonical JSON with each action. The server rebuilds the model from what
it holds (the visit as the earlier writes left it, the price list and the legal texts
the tablet used, the tablet's date) and compares: equal, the action is done; different,
a conflict is stored with the parts that differ and nothing is issued, printed or sealed.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from organisation.models import User
from quotes.document_model import (
    ModelError,
    contract_model,
    model_legal_versions,
    model_sha256,
    sale_model,
)
from quotes.legal_identity import LegalIdentityIncomplete, brand_legal_identity_check
from quotes.models import Contract, PriceList, Quote, QuoteStatus
from quotes.selectors import price_list_in_force, sale_inputs
from quotes.services import QuoteError, contract_create, quote_fill_from_model, quote_number
from visits.models import Conflict, Visit, VisitStatus
from visits.submissions import submission_time

# BRAND-TDEVICECODE-SEQUENCE, e.g. MN-T7K3QX9TA-0007 (see static/js/sale.js).
DEVICE_REFERENCE = re.compile(r"^(?P<prefix>[A-Z0-9]{1,10})-T[0-9A-Z]{8}-\d{4,6}$")


@dataclass
class DeviceResult:
    """What an action came to: done (with its object) or a stored conflict."""

    quote: Quote | None = None
    contract: Contract | None = None
    conflict: Conflict | None = None


def capture_time(value: str) -> datetime:
    """A time the tablet recorded (see ``visits.submissions.submission_time``)."""
    try:
        return submission_time(value)
    except ValueError as exc:
        raise QuoteError(str(exc)) from None


def model_differences(mine: Any, theirs: Any, path: str = "") -> dict[str, tuple[Any, Any]]:
    """path → (device's value, server's value) for every leaf that differs."""
    if isinstance(mine, dict) and isinstance(theirs, dict):
        out: dict[str, tuple[Any, Any]] = {}
        for key in sorted(set(mine) | set(theirs)):
            out.update(model_differences(mine.get(key), theirs.get(key), f"{path}.{key}"))
        return out
    if isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
        # Legal texts are listed by kind: name them by it rather than by position.
        out = {}
        for index, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            name = a.get("kind", index) if isinstance(a, dict) else index
            out.update(model_differences(a, b, f"{path}.{name}"))
        return out
    return {} if mine == theirs else {path.lstrip("."): (mine, theirs)}


def _conflict(
    *,
    visit: Visit,
    step: str,
    client_uuid: uuid.UUID,
    mine: dict[str, Any],
    theirs: dict[str, Any] | None,
    reason: str,
    user: User | None,
    device_id: str,
) -> Conflict:
    differences = model_differences(mine, theirs or {})
    keys = sorted(differences)[:40] or ["document"]
    return Conflict.objects.create(
        visit=visit,
        step=step,
        client_uuid=client_uuid,
        base_version=visit.version,
        server_version=visit.version,
        mine={"reason": reason, **{k: differences[k][0] for k in keys if k in differences}},
        theirs={"reason": reason, **{k: differences[k][1] for k in keys if k in differences}},
        conflicting_keys=keys,
        author=user,
        device_id=device_id,
    )


def _usable_price_list(visit: Visit, price_list_id: int | None, on: datetime) -> PriceList:
    """The price list the tablet used: the visit's agency's or brand's, in force on the
    day of the quote or up to the offline limit before (an offer stands on the list it
    was made with, even if a newer one came in force since the tablet was prepared)."""
    day = timezone.localdate(on)
    oldest = day - timedelta(days=settings.NOMAD_OFFLINE_MAX_DAYS)
    found = (
        PriceList.objects.filter(pk=price_list_id or 0, brand_id=visit.agency.brand_id)
        .filter(Q(agency__isnull=True) | Q(agency_id=visit.agency_id))
        .filter(effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=oldest))
        .prefetch_related("prices", "fees__vat_rates")
        .first()
    )
    if found is None:
        raise QuoteError(_("The price list used on the tablet cannot be used for this visit."))
    return found


@transaction.atomic
def quote_issue_from_device(
    *,
    visit: Visit,
    client_uuid: uuid.UUID,
    device_reference: str,
    issued_at: str,
    price_list_id: int | None,
    document_sha256: str,
    model: dict[str, Any],
    user: User | None,
    device_id: str = "",
) -> DeviceResult:
    """Issue the quote the tablet issued, numbered now, if the server's model is the same."""
    visit = (
        Visit.objects.select_for_update(of=("self",))
        .select_related("prospect", "agency__brand", "advisor")
        .get(pk=visit.pk)
    )
    existing = Quote.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        if existing.visit_id != visit.pk:  # another visit's: said without naming it
            raise QuoteError(_("This quote's id is already taken: nothing was issued."))
        return DeviceResult(quote=existing)
    when = capture_time(issued_at)
    match = DEVICE_REFERENCE.match(device_reference)
    if match is None or match["prefix"] != visit.agency.brand.quote_prefix:
        raise QuoteError(_("The tablet's reference of this quote is not valid."))
    if Quote.objects.filter(device_reference=device_reference).exists():
        raise QuoteError(_("Another quote already has this tablet reference."))
    try:
        brand_legal_identity_check(visit.agency.brand)
    except LegalIdentityIncomplete as error:
        raise QuoteError(str(error)) from error

    def conflict(reason: str, theirs: dict[str, Any] | None) -> DeviceResult:
        return DeviceResult(
            conflict=_conflict(
                visit=visit,
                step="quote",
                client_uuid=client_uuid,
                mine=model,
                theirs=theirs,
                reason=reason,
                user=user,
                device_id=device_id,
            )
        )

    if visit.status != VisitStatus.NEEDS_CAPTURED:
        if Quote.objects.filter(visit=visit, status__in=[QuoteStatus.ISSUED, QuoteStatus.SIGNED]):
            return conflict(_("Another quote was issued for this visit in the meantime."), None)
        return conflict(
            _("The visit's estimate was not confirmed on the server: the needs changed."), None
        )
    price_list = _usable_price_list(visit, price_list_id, when)
    try:
        server_model = sale_model(
            inputs=sale_inputs(
                visit=visit,
                price_list=price_list,
                quote_date=timezone.localdate(when),
                device_reference=device_reference,
                legal_versions=model_legal_versions(model),
            )
        )
    except ModelError as exc:
        return conflict(str(exc), None)
    if model_sha256(server_model) != document_sha256 or model_sha256(model) != document_sha256:
        return conflict(_("The quote shown on the tablet differs from the server's."), server_model)
    quote = Quote(visit=visit, brand=visit.agency.brand, created_by=user, client_uuid=client_uuid)
    quote_fill_from_model(quote=quote, model=server_model, price_list=price_list)
    in_force = price_list_in_force(agency=visit.agency, on=timezone.localdate())
    quote.older_price_list = in_force is None or in_force.pk != price_list.pk
    quote.received_at = timezone.now()
    quote.save()
    quote_number(quote=quote, visit=visit, on=timezone.localdate(when), user=user, issued_at=when)
    return DeviceResult(quote=quote)


@transaction.atomic
def contract_create_from_device(
    *,
    visit: Visit,
    client_uuid: uuid.UUID,
    quote_uuid: uuid.UUID | None,
    early_start_requested: bool,
    made_at: str,
    document_sha256: str,
    model: dict[str, Any],
    user: User | None,
    device_id: str = "",
) -> DeviceResult:
    """Make the contract the tablet made, if its model is the one the server rebuilds."""
    existing = Contract.objects.filter(client_uuid=client_uuid).select_related("quote").first()
    if existing is not None:
        if existing.quote.visit_id != visit.pk:  # another visit's: said without naming it
            raise QuoteError(_("This contract's id is already taken: nothing was made."))
        return DeviceResult(contract=existing, quote=existing.quote)
    quote = Quote.objects.filter(client_uuid=quote_uuid, visit=visit).first()
    if quote_uuid is None or quote is None:
        raise QuoteError(_("The quote of this contract has not reached the server."))
    when = capture_time(made_at)
    server_model = contract_model(
        quote_model=quote.document_model,
        contract_date=timezone.localdate(when).isoformat(),
        early_start_requested=early_start_requested,
    )
    if model_sha256(server_model) != document_sha256 or model_sha256(model) != document_sha256:
        conflict = _conflict(
            visit=visit,
            step="contract",
            client_uuid=client_uuid,
            mine=model,
            theirs=server_model,
            reason=_("The contract shown on the tablet differs from the server's."),
            user=user,
            device_id=device_id,
        )
        return DeviceResult(conflict=conflict, quote=quote)
    contract = contract_create(
        quote=quote,
        user=user,
        early_start_requested=early_start_requested,
        client_uuid=client_uuid,
        made_at=when,
    )
    return DeviceResult(contract=contract, quote=quote)
