"""Writes on quotes and contracts.

A quote starts as a draft built from the visit's confirmed estimate and the price list
in force; issuing it gives it the next number of its brand and year (gapless: the
counter row is locked in the same transaction) and freezes it. A revision is a new
draft that, once issued, keeps the number with the next version and replaces the old
one. Documents are rendered and emailed by Celery tasks enqueued after the commit.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nomad_web.leases import exclusive
from organisation.models import User
from privacy.audit import audit_record
from privacy.models import AuditAction
from quotes.document_model import (
    ModelError,
    contract_model,
    minutes_split,
    model_legal_versions,
    sale_model,
)
from quotes.events import (
    contract_signed_publish,
    quote_issued_publish,
    quote_status_publish,
)
from quotes.legal_identity import LegalIdentityIncomplete, brand_legal_identity_check
from quotes.models import (
    Contract,
    LegalText,
    LegalTextKind,
    PriceList,
    Quote,
    QuoteCounter,
    QuoteStatus,
)
from quotes.pricing import MAX_MINUTES_PER_WEEK
from quotes.selectors import legal_text_current, price_list_in_force, sale_inputs
from visits.models import Activity, Visit, VisitStatus
from visits.services import visit_mark_quoted


class QuoteError(Exception):
    """A quote or contract write that cannot be done; the message is for the advisor."""


def _activity_label(activity: str) -> str:
    return str(dict(Activity.choices).get(activity, activity))


def quote_minutes_per_activity(*, visit: Visit) -> dict[str, int]:
    """The visit's weekly minutes (the advisor's figure, else the estimate) per activity.

    With two activities the figure is split in proportion to the estimate's minutes per
    week of each (``quotes.document_model.minutes_split``).
    """
    if visit.status not in (VisitStatus.NEEDS_CAPTURED, VisitStatus.QUOTED) or not visit.estimate:
        raise QuoteError(_("Confirm the visit's estimate before making a quote."))
    total = visit.proposed_minutes or visit.estimated_minutes or 0
    if total <= 0:
        raise QuoteError(_("The hours per week must be more than zero."))
    if total > MAX_MINUTES_PER_WEEK:
        raise QuoteError(
            _("%(hours)s hours a week is not a home service: correct the estimate.")
            % {"hours": total // 60}
        )
    parts = [(a["activity"], int(a["minutes_per_week"])) for a in visit.estimate["activities"]]
    if not parts or sum(minutes for _, minutes in parts) <= 0:
        raise QuoteError(_("Confirm the visit's estimate before making a quote."))
    return minutes_split(total=total, estimate=parts)


def _compute(quote: Quote, visit: Visit, on: date) -> None:
    """Fill the quote's document model (and the figures and parties taken from it) as of
    ``on``, with the price list and legal texts in force (not saved)."""
    price_list = price_list_in_force(agency=visit.agency, on=on)
    if price_list is None:
        raise QuoteError(
            _("No price list is in force on %(date)s for the agency %(agency)s.")
            % {"date": on.strftime("%d/%m/%Y"), "agency": visit.agency.name}
        )
    # The advisor's errors, in their words, before the model's own checks.
    priced = {p.activity for p in price_list.prices.all()}
    for activity in quote_minutes_per_activity(visit=visit):
        if activity not in priced:
            raise QuoteError(
                _("The price list “%(list)s” has no price for %(activity)s.")
                % {"list": price_list.name, "activity": _activity_label(activity)}
            )
        for fee in price_list.fees.all():
            if activity not in {rate.activity for rate in fee.vat_rates.all()}:
                raise QuoteError(
                    _("Fee “%(fee)s” of “%(list)s” has no VAT rate for %(activity)s.")
                    % {
                        "fee": fee.label,
                        "list": price_list.name,
                        "activity": _activity_label(activity),
                    }
                )
    model = _model(sale_inputs(visit=visit, price_list=price_list, quote_date=on))
    quote_fill_from_model(quote=quote, model=model, price_list=price_list)


def _model(inputs: dict[str, Any]) -> dict[str, Any]:
    try:
        return sale_model(inputs=inputs)
    except ModelError as exc:
        raise QuoteError(_("These figures cannot be priced: %(why)s.") % {"why": exc}) from exc


def quote_fill_from_model(*, quote: Quote, model: dict[str, Any], price_list: PriceList) -> None:
    """What a quote keeps of its document model, in the columns the other code reads."""
    quote.price_list = price_list
    quote.document_model = model
    quote.pricing_input = model["quote"]["pricing_input"]
    quote.figures = model["quote"]["figures"]
    quote.parties = model["parties"]
    quote.device_reference = model["references"]["device_reference"]
    quote.quote_date = date.fromisoformat(model["quote"]["date"])
    quote.valid_until = date.fromisoformat(model["quote"]["valid_until"])


@transaction.atomic
def quote_create_draft(*, visit: Visit, user: User | None, on: date | None = None) -> Quote:
    """A draft quote for the visit (the same draft again if there is one, refreshed)."""
    on = on or timezone.localdate()
    visit = (
        Visit.objects.select_for_update()
        .select_related("prospect", "agency__brand")
        .get(pk=visit.pk)
    )
    if visit.status != VisitStatus.NEEDS_CAPTURED:
        if visit.status == VisitStatus.QUOTED:
            raise QuoteError(_("This visit already has a quote: revise it instead."))
        raise QuoteError(_("Confirm the visit's estimate before making a quote."))
    quote = Quote.objects.filter(
        visit=visit, status=QuoteStatus.DRAFT, previous__isnull=True
    ).first() or Quote(visit=visit, brand=visit.agency.brand, created_by=user)
    _compute(quote, visit, on)
    quote.save()
    return quote


def _next_number(brand_id: int, year: int) -> int:
    """Take the next number of the brand's year; the counter row stays locked until commit."""
    counters = QuoteCounter.objects.select_for_update()
    try:
        counter = counters.get(brand_id=brand_id, year=year)
    except QuoteCounter.DoesNotExist:
        try:
            with transaction.atomic():
                QuoteCounter.objects.create(brand_id=brand_id, year=year)
        except IntegrityError:
            pass  # another transaction created it first: lock theirs
        counter = counters.get(brand_id=brand_id, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def quote_issue(*, quote: Quote, on: date | None = None, user: User | None = None) -> Quote:
    """Number and freeze a draft; the visit becomes quoted; the PDF follows after commit."""
    on = on or timezone.localdate()
    with transaction.atomic():
        quote = Quote.objects.select_for_update().get(pk=quote.pk)
        if not quote.is_draft:
            raise QuoteError(_("An issued quote cannot be changed: revise it instead."))
        visit = Visit.objects.select_related("prospect", "agency__brand", "advisor").get(
            pk=quote.visit_id
        )
        try:
            brand_legal_identity_check(visit.agency.brand)
        except LegalIdentityIncomplete as error:
            raise QuoteError(str(error)) from error
        # Recomputed at issue: the price list and the visit may have changed since the draft.
        _compute(quote, visit, on)
        quote_number(quote=quote, visit=visit, on=on, user=user)
    return quote


def quote_number(
    *,
    quote: Quote,
    visit: Visit,
    on: date,
    user: User | None,
    issued_at: datetime | None = None,
) -> Quote:
    """Give a locked draft its number (a revision keeps its quote's), issue and announce it.

    ``issued_at`` is when it was issued on the tablet, for a quote made there.
    """
    from quotes.tasks import document_render_and_send

    previous = quote.previous
    if previous is not None:
        previous = Quote.objects.select_for_update().get(pk=previous.pk)
        if previous.status != QuoteStatus.ISSUED:
            raise QuoteError(_("Only an issued quote can be revised."))
        quote.number, quote.year, quote.sequence = (
            previous.number,
            previous.year,
            previous.sequence,
        )
        quote.version = previous.version + 1
        previous.status = QuoteStatus.SUPERSEDED
        previous.status_changed_at = timezone.now()
        previous.save(update_fields=["status", "status_changed_at"])
    else:
        quote.year = on.year
        quote.sequence = _next_number(quote.brand_id, on.year)
        quote.number = f"{quote.brand.quote_prefix}-{on.year}-{quote.sequence:06d}"
    quote.status = QuoteStatus.ISSUED
    quote.issued_at = issued_at or timezone.now()
    quote.status_changed_at = timezone.now()
    quote.save()
    audit_record(
        user=user,
        action=AuditAction.ISSUE,
        obj=quote,
        prospect_id=visit.prospect_id,
        changes={"status": [QuoteStatus.DRAFT, quote.status], "number": ["", quote.reference]},
    )
    visit_mark_quoted(visit=visit, user=user)
    quote_issued_publish(quote=quote)
    quote_id = quote.pk
    transaction.on_commit(lambda: document_render_and_send.delay(quote_id, "quote"))
    return quote


@transaction.atomic
def quote_revise(*, quote: Quote, user: User | None, on: date | None = None) -> Quote:
    """A draft revision of an issued quote (the same one again if it exists)."""
    on = on or timezone.localdate()
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status != QuoteStatus.ISSUED:
        raise QuoteError(_("Only an issued quote can be revised."))
    existing = Quote.objects.filter(previous=quote).first()
    if existing is not None:
        return existing
    if Contract.objects.filter(quote=quote).exists():
        raise QuoteError(_("A contract was made from this quote: it can no longer be revised."))
    visit = Visit.objects.select_related("prospect", "agency__brand").get(pk=quote.visit_id)
    revision = Quote(visit=visit, brand=quote.brand, previous=quote, created_by=user)
    _compute(revision, visit, on)
    revision.save()
    return revision


@transaction.atomic
def quote_set_status(*, quote: Quote, status: str, user: User | None = None) -> Quote:
    """Signed or refused by the client (expiry and replacement have their own paths)."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if not quote.can_become(status):
        raise QuoteError(
            _("A quote cannot go from “%(from)s” to “%(to)s”.")
            % {"from": quote.get_status_display(), "to": QuoteStatus(status).label}
        )
    before = quote.status
    quote.status = status
    quote.status_changed_at = timezone.now()
    quote.save(update_fields=["status", "status_changed_at"])
    _audit_quote_status(quote, before, user)
    if status in (QuoteStatus.SIGNED, QuoteStatus.REFUSED, QuoteStatus.EXPIRED):
        quote_status_publish(quote=quote)
    # Until the signature work records the contract's own signature, a signed quote
    # with its contract is the signed contract (see contract_signed_publish).
    contract = Contract.objects.filter(quote=quote).select_related("general_terms").first()
    if status == QuoteStatus.SIGNED and contract is not None:
        contract_signed_publish(contract=contract)
    return quote


def _audit_quote_status(quote: Quote, before: str, user: User | None) -> None:
    audit_record(
        user=user,
        action=AuditAction.STATUS,
        obj=quote,
        prospect_id=Visit.objects.filter(pk=quote.visit_id).values_list("prospect_id", flat=True)[
            0
        ],
        changes={"status": [before, quote.status]},
    )


def quote_expire_due(*, today: date | None = None) -> int:
    """Issued quotes past their validity become expired; returns how many.

    One transaction per quote, each with its ``quote.expired`` event; the quote's row is
    locked and its status read again, and one run at a time (``nomad_web.leases``).
    """
    with exclusive("expire-due-quotes") as held:
        return _expire_due(today) if held else 0


def _expire_due(today: date | None) -> int:
    today = today or timezone.localdate()
    due = Quote.objects.filter(status=QuoteStatus.ISSUED, valid_until__lt=today)
    expired = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            quote = Quote.objects.select_for_update().select_related("visit__agency").get(pk=pk)
            if quote.status != QuoteStatus.ISSUED:
                continue  # signed or revised in the meantime
            quote.status = QuoteStatus.EXPIRED
            quote.status_changed_at = timezone.now()
            quote.save(update_fields=["status", "status_changed_at"])
            _audit_quote_status(quote, QuoteStatus.ISSUED, None)
            quote_status_publish(quote=quote)
            expired += 1
    return expired


def contract_create(
    *,
    quote: Quote,
    user: User | None,
    early_start_requested: bool,
    client_uuid: uuid.UUID | None = None,
    made_at: datetime | None = None,
) -> Contract:
    """The off-premises contract of an issued quote, with the general terms in force."""
    from quotes.tasks import document_render_and_send

    with transaction.atomic():
        quote = Quote.objects.select_for_update().get(pk=quote.pk)
        if quote.status not in (QuoteStatus.ISSUED, QuoteStatus.SIGNED):
            raise QuoteError(_("A contract is made from an issued quote."))
        if Contract.objects.filter(quote=quote).exists():
            raise QuoteError(_("This quote already has its contract."))
        # The legal texts the quote's model shows (those in force when it was issued).
        version = model_legal_versions(quote.document_model).get(LegalTextKind.GENERAL_TERMS)
        terms = LegalText.objects.filter(
            kind=LegalTextKind.GENERAL_TERMS, version=version, published_at__isnull=False
        ).first() or legal_text_current(kind=LegalTextKind.GENERAL_TERMS)
        if terms is None:
            raise QuoteError(_("No general terms are published: ask the head office."))
        made_at = made_at or timezone.now()
        contract = Contract.objects.create(
            quote=quote,
            general_terms=terms,
            early_start_requested=early_start_requested,
            document_model=contract_model(
                quote_model=quote.document_model,
                contract_date=timezone.localdate(made_at).isoformat(),
                early_start_requested=early_start_requested,
            ),
            client_uuid=client_uuid,
            made_at=made_at,
            received_at=timezone.now() if client_uuid else None,
            created_by=user,
        )
        audit_record(
            user=user,
            action=AuditAction.CREATE,
            obj=contract,
            prospect_id=quote.visit.prospect_id,
            changes={"general_terms": [None, f"{terms.version}"]},
        )
        quote_id = quote.pk
        transaction.on_commit(lambda: document_render_and_send.delay(quote_id, "contract"))
    return contract
