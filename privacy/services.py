"""Retention, export and erasure of one person's data (GDPR, see docs/privacy.md).

Anonymising keeps the rows the figures are made of (visits with their status, dates,
activities, channel, agency and minutes; quotes with their figures) and blanks what
names, locates or describes the person. What the law requires to keep — a signed
contract, its quote, its documents and the signature evidence — is left untouched. A
quote issued less than a year ago keeps its client part and its PDF too (arrêté of
17 March 2015: a copy of the quote is kept at least one year, and the quote says so);
the nightly retention blanks them once the year is over.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from nomad_web.leases import exclusive
from organisation.models import User
from privacy.audit import MASK, audit_record
from privacy.models import AuditAction, AuditEntry
from quotes.models import Contract, Document, DocumentKind, Quote, QuoteStatus
from signatures.models import SignatureRequest
from visits.models import Conflict, Prospect, Visit, VisitStatus

ANONYMISED = "anonymised"
# A copy of a quote is kept at least one year after its issue (366 days: a leap year too).
QUOTE_COPY_DAYS = 366


class PrivacyError(Exception):
    """A request that cannot be done; the message is for the person who asked."""


@dataclass
class AnonymiseResult:
    prospect_id: int
    visits: int = 0
    quotes: int = 0
    documents_deleted: int = 0
    kept_quotes: list[str] = field(default_factory=list)
    # Unsigned quotes issued less than a year ago: reference → last day kept (ISO date).
    quotes_kept_a_year: dict[str, str] = field(default_factory=dict)


def _signed_quotes(prospect: Prospect) -> models.QuerySet[Quote]:
    """Quotes the law makes us keep: signed, or whose contract is signed."""
    return Quote.objects.filter(visit__prospect=prospect).filter(
        Q(status=QuoteStatus.SIGNED) | Q(contract__signed_at__isnull=False)
    )


def _young_quotes(prospect: Prospect, now: datetime) -> models.QuerySet[Quote]:
    """Issued quotes whose copy must still be kept: issued less than a year ago."""
    return Quote.objects.filter(
        visit__prospect=prospect, issued_at__gt=now - timedelta(days=QUOTE_COPY_DAYS)
    )


def _objects_of(quote_ids: set[int]) -> set[tuple[str, int]]:
    """The quotes, their contracts and signature requests, as the audit log names them."""
    objects = {("quotes.quote", pk) for pk in quote_ids}
    objects |= {
        ("quotes.contract", pk)
        for pk in Contract.objects.filter(quote__in=quote_ids).values_list("pk", flat=True)
    }
    objects |= {
        ("signatures.signaturerequest", pk)
        for pk in SignatureRequest.objects.filter(contract__quote__in=quote_ids).values_list(
            "pk", flat=True
        )
    }
    return objects


def retention_due(*, now: datetime | None = None) -> models.QuerySet[Prospect]:
    """Prospects who signed nothing and had no contact for the retention period.

    The last contact is the latest of the prospect's own update, each visit's
    appointment and update, and each quote's issue: a visit planned in the future keeps
    the person.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.NOMAD_RETENTION_PROSPECT_DAYS)
    signed = Q(visits__status=VisitStatus.SIGNED) | Q(visits__quotes__status=QuoteStatus.SIGNED)
    signed |= Q(visits__quotes__contract__signed_at__isnull=False)
    return (
        Prospect.objects.filter(anonymised_at__isnull=True, updated_at__lt=cutoff)
        .exclude(pk__in=Prospect.objects.filter(signed).values("pk"))
        .annotate(
            last_visit_at=Max("visits__scheduled_at"),
            last_visit_update=Max("visits__updated_at"),
            # A revised quote issued later does not touch the visit: count it too.
            last_quote_at=Max("visits__quotes__issued_at"),
        )
        .filter(Q(last_visit_at__isnull=True) | Q(last_visit_at__lt=cutoff))
        .filter(Q(last_visit_update__isnull=True) | Q(last_visit_update__lt=cutoff))
        .filter(Q(last_quote_at__isnull=True) | Q(last_quote_at__lt=cutoff))
        .order_by("pk")
    )


def _blank_prospect(prospect: Prospect, now: datetime) -> None:
    # Who agreed, when, to which text stays: it proves the processing was lawful.
    prospect.civility = ""
    prospect.first_name = ""
    prospect.last_name = ANONYMISED
    prospect.email = ""
    prospect.phone = ""
    prospect.address = ""
    prospect.postal_code = ""
    prospect.city = ""
    prospect.intervention_address = ""
    prospect.intervention_postal_code = ""
    prospect.intervention_city = ""
    prospect.adults = 1
    prospect.dependent_children = 0
    prospect.members_over_65 = 0
    prospect.disabled_member = False
    prospect.wants_immediate_advance = False
    prospect.backoffice_ref = ""
    prospect.anonymised_at = now
    prospect.save()


def _blank_visit(visit: Visit) -> None:
    # Answers hold the home, habits and access codes; the reasons are free text. The
    # figures (status, dates, activities, channel, agency, minutes) stay for the counts.
    Visit.objects.filter(pk=visit.pk).update(
        answers={}, estimate=None, status_reason="", override_reason="", backoffice_ref=""
    )
    for conflict in Conflict.objects.filter(visit=visit):
        conflict.mine = dict.fromkeys(conflict.mine)
        conflict.theirs = dict.fromkeys(conflict.theirs)
        conflict.resolution = dict.fromkeys(conflict.resolution) if conflict.resolution else None
        conflict.save(update_fields=["mine", "theirs", "resolution"])


def _blank_quote(quote: Quote, *, keep_copy: bool = False) -> int:
    """The client's part of the quote goes, and its documents; returns files deleted.
    ``keep_copy``: the quote as issued (client part and PDF) stays, the rest goes."""
    if not keep_copy:
        parties = dict(quote.parties)
        if "client" in parties:
            parties["client"] = {}
        Quote.objects.filter(pk=quote.pk).update(parties=parties)
    SignatureRequest.objects.filter(contract__quote=quote).update(
        signer_first_name="", signer_last_name="", signer_email="", signer_phone="", evidence={}
    )
    deleted = 0
    documents = Document.objects.filter(quote=quote)
    if keep_copy:
        documents = documents.exclude(kind=DocumentKind.QUOTE)
    for document in documents:
        document.file.delete(save=False)
        document.delete()
        deleted += 1
    return deleted


# Statuses, assignments and references say nothing about the person: they stay readable.
_READABLE_IN_TRAIL = frozenset({"status", "advisor", "number", "general_terms"})


def _mask_trail(
    prospect_id: int,
    kept_objects: set[tuple[str, int]],
    only: set[tuple[str, int]] | None = None,
) -> None:
    """Values the audit log holds about the person are masked; who did what stays.
    ``only``: mask the entries of these objects alone."""
    entries = AuditEntry.objects.filter(prospect_ref=prospect_id).exclude(changes={})
    for entry in entries:
        key = (entry.object_type, entry.object_id)
        if key in kept_objects or (only is not None and key not in only):
            continue
        entry.changes = {
            key: pair
            if key in _READABLE_IN_TRAIL
            else [MASK if v not in (None, "") else v for v in pair]
            for key, pair in entry.changes.items()
        }
        entry.save(update_fields=["changes"])


@transaction.atomic
def prospect_anonymise(
    *, prospect: Prospect, user: User | None, action: str, reason: str
) -> AnonymiseResult:
    """Blank the person everywhere except in what the law requires to keep."""
    prospect = Prospect.objects.select_for_update().get(pk=prospect.pk)
    now = timezone.now()
    result = AnonymiseResult(prospect_id=prospect.pk)
    kept = list(_signed_quotes(prospect))
    kept_ids = {q.pk for q in kept}
    result.kept_quotes = [q.reference for q in kept]
    young = list(_young_quotes(prospect, now).exclude(pk__in=kept_ids).order_by("issued_at"))
    result.quotes_kept_a_year = {
        q.reference: timezone.localdate(q.issued_at + timedelta(days=QUOTE_COPY_DAYS)).isoformat()
        for q in young
        if q.issued_at is not None
    }
    young_ids = {q.pk for q in young}
    _blank_prospect(prospect, now)
    for visit in Visit.objects.filter(prospect=prospect):
        _blank_visit(visit)
        result.visits += 1
    for quote in Quote.objects.filter(visit__prospect=prospect).exclude(pk__in=kept_ids):
        result.documents_deleted += _blank_quote(quote, keep_copy=quote.pk in young_ids)
        result.quotes += 1
    # The quotes kept a year keep their trail for that year (quote_copies_purge masks it).
    _mask_trail(prospect.pk, _objects_of(kept_ids | young_ids))
    changes: dict[str, list[Any]] = {}
    if result.kept_quotes:
        changes["kept_quotes"] = [None, result.kept_quotes]
    if result.quotes_kept_a_year:
        changes["quotes_kept_a_year"] = [None, result.quotes_kept_a_year]
    audit_record(
        user=user,
        action=action,
        obj=prospect,
        prospect_id=prospect.pk,
        changes=changes,
        reason=reason,
    )
    return result


def quote_copies_purge(*, now: datetime | None = None) -> list[int]:
    """Blank the quotes of anonymised people once their year of copy is over (the client
    part, the PDFs, their trail); signed ones stay. Returns the quotes' ids."""
    now = now or timezone.now()
    over = (
        Quote.objects.filter(
            visit__prospect__anonymised_at__isnull=False,
            issued_at__lte=now - timedelta(days=QUOTE_COPY_DAYS),
        )
        .exclude(status=QuoteStatus.SIGNED)
        .exclude(contract__signed_at__isnull=False)
        .exclude(parties__client={})
        .select_related("visit")
        .order_by("pk")
    )
    done = []
    for quote in over:
        with transaction.atomic():
            _blank_quote(quote)
            prospect_id = quote.visit.prospect_id
            _mask_trail(prospect_id, set(), only=_objects_of({quote.pk}))
            audit_record(
                user=None,
                action=AuditAction.ANONYMISE,
                obj=quote,
                prospect_id=prospect_id,
                changes={},
                reason=_("The year a copy of the quote is kept is over."),
            )
        done.append(quote.pk)
    return done


def prospect_erase(*, prospect: Prospect, user: User, reason: str) -> AnonymiseResult:
    """The person's erasure request (art. 17 GDPR), within the legal-retention exceptions."""
    reason = reason.strip()
    if not reason:
        raise PrivacyError(_("Say why the data is erased (the request, its date)."))
    if prospect.anonymised_at is not None:
        raise PrivacyError(_("This person's data is already anonymised."))
    return prospect_anonymise(prospect=prospect, user=user, action=AuditAction.ERASE, reason=reason)


def retention_apply(*, now: datetime | None = None, dry_run: bool = False) -> list[int]:
    """Anonymise every prospect past the retention period; returns their ids (none when
    another node is applying it right now: ``nomad_web.leases``)."""
    if dry_run:
        return list(retention_due(now=now).values_list("pk", flat=True))
    with exclusive("retention") as held:
        return _retention_apply(now) if held else []


def _retention_apply(now: datetime | None) -> list[int]:
    due = list(retention_due(now=now).values_list("pk", flat=True))
    days = settings.NOMAD_RETENTION_PROSPECT_DAYS
    for pk in due:
        prospect_anonymise(
            prospect=Prospect.objects.get(pk=pk),
            user=None,
            action=AuditAction.ANONYMISE,
            reason=_("No contact and nothing signed for %(days)s days.") % {"days": days},
        )
    quote_copies_purge(now=now)
    return due


def _row(obj: models.Model, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.attname not in exclude
    }


def prospect_export(*, prospect: Prospect, user: User) -> bytes:
    """Everything held about the person (art. 15 and 20 GDPR) as a zip: data.json plus
    their documents as stored. Built in memory: one person's files are a few PDFs."""
    visits = list(Visit.objects.filter(prospect=prospect).order_by("scheduled_at"))
    quotes = list(Quote.objects.filter(visit__prospect=prospect).order_by("created_at"))
    contracts = list(Contract.objects.filter(quote__in=quotes))
    signatures = list(SignatureRequest.objects.filter(contract__in=contracts))
    documents = list(Document.objects.filter(quote__in=quotes).select_related("quote"))
    data: dict[str, Any] = {
        "exported_at": timezone.now(),
        "prospect": _row(prospect),
        "visits": [_row(v) for v in visits],
        "quotes": [_row(q) for q in quotes],
        "contracts": [_row(c) for c in contracts],
        "signatures": [_row(s) for s in signatures],
        "documents": [],
        "history": [
            _row(e, frozenset({"prospect_ref"}))
            for e in AuditEntry.objects.filter(prospect_ref=prospect.pk).order_by("created_at")
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            entry: dict[str, Any] = {"kind": document.kind, "sha256": document.sha256}
            try:
                with document.file.open("rb") as handle:
                    archive.writestr(f"documents/{document.filename}", handle.read())
                entry["file"] = f"documents/{document.filename}"
            except FileNotFoundError:
                # Said in the export rather than failing it: the rest is still owed.
                entry["missing"] = True
            data["documents"].append(entry)
        archive.writestr(
            "data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        )
    audit_record(user=user, action=AuditAction.EXPORT, obj=prospect, prospect_id=prospect.pk)
    return buffer.getvalue()
