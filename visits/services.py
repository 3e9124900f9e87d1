"""Writes on visits. Each one is a single request's worth of change, replayable as is:
it carries the version it was based on, and a stale version is refused, not merged."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organisation.models import Agency, Role, User
from visits.catalogue import catalogue_as_dict, catalogue_current
from visits.estimator import ESTIMATOR_VERSION, Estimate, estimate
from visits.models import CatalogueStatus, CatalogueVersion, Prospect, Visit, VisitStatus


class VisitError(Exception):
    """A write that cannot be done; the message is for the person who tried."""


class StaleVersion(VisitError):
    def __init__(self, visit: Visit, base_version: int) -> None:
        super().__init__(
            _(
                "This visit was changed elsewhere (version %(current)s, yours was %(base)s). "
                "Reload it before saving again."
            )
            % {"current": visit.version, "base": base_version}
        )
        self.current_version = visit.version


class WrongCatalogue(VisitError):
    pass


class TransitionNotAllowed(VisitError):
    pass


def _lock(visit: Visit, base_version: int | None) -> Visit:
    locked = Visit.objects.select_for_update().get(pk=visit.pk)
    if base_version is not None and locked.version != base_version:
        raise StaleVersion(locked, base_version)
    if not locked.is_editable:
        raise VisitError(
            _("A visit that is %(status)s cannot be changed.")
            % {"status": locked.get_status_display()}
        )
    return locked


def visit_catalogues(*, visit: Visit) -> list[dict[str, Any]]:
    """The catalogues the visit uses: those it started with, or today's for a new one."""
    versions = list(visit.catalogue_versions.all())
    if not versions:
        versions = [v for a in visit.activities if (v := catalogue_current(activity=a))]
    order = {a: i for i, a in enumerate(visit.activities)}
    return sorted(
        (catalogue_as_dict(version_id=v.pk) for v in versions),
        key=lambda c: order.get(c["activity"], 99),
    )


def _bind_catalogues(visit: Visit, posted_ids: list[int]) -> None:
    """Check the versions a form was built from; on the first write, adopt them."""
    attached = sorted(visit.catalogue_versions.values_list("pk", flat=True))
    if attached:
        if posted_ids and sorted(posted_ids) != attached:
            raise WrongCatalogue(
                _(
                    "This form was built from another version of the questionnaire. "
                    "Reload the visit."
                )
            )
        return
    versions = list(
        CatalogueVersion.objects.filter(pk__in=posted_ids, status=CatalogueStatus.PUBLISHED)
    )
    if sorted(v.activity for v in versions) != sorted(visit.activities) or len(versions) != len(
        posted_ids
    ):
        raise WrongCatalogue(
            _("The questionnaire versions sent do not match this visit's activities.")
        )
    visit.catalogue_versions.set(versions)


def _transition(visit: Visit, to: str, reason: str = "") -> None:
    if visit.status == to:
        return
    if not visit.can_become(to):
        raise TransitionNotAllowed(
            _("A visit cannot go from “%(from)s” to “%(to)s”.")
            % {"from": visit.get_status_display(), "to": VisitStatus(to).label}
        )
    visit.status = to
    visit.status_reason = reason


def _touch(visit: Visit, step: str | None, fields: list[str]) -> None:
    if step and step not in visit.completed_steps:
        visit.completed_steps = [*visit.completed_steps, step]
    visit.version += 1
    visit.save(
        update_fields=[
            *fields,
            "completed_steps",
            "version",
            "status",
            "status_reason",
            "updated_at",
        ]
    )


@transaction.atomic
def visit_save_answers(
    *,
    visit: Visit,
    step: str,
    answers: dict[str, Any],
    base_version: int | None,
    catalogue_ids: list[int],
    complete: bool = True,
) -> Visit:
    """Record one step's answers (all or nothing) and move a scheduled visit in progress."""
    visit = _lock(visit, base_version)
    _bind_catalogues(visit, catalogue_ids)
    if visit.status == VisitStatus.SCHEDULED:
        _transition(visit, VisitStatus.IN_PROGRESS)
    elif visit.status == VisitStatus.NEEDS_CAPTURED:
        # Changed needs make the estimate out of date: back to capture.
        _transition(visit, VisitStatus.IN_PROGRESS)
    visit.answers = {**visit.answers, **answers}
    _touch(visit, step if complete else None, ["answers"])
    return visit


@transaction.atomic
def visit_save_prospect(
    *,
    visit: Visit,
    prospect: Prospect,
    consent_given: bool,
    base_version: int | None,
    consent_text_version: str,
) -> Visit:
    visit = _lock(visit, base_version)
    if consent_given and not prospect.consent_at:
        prospect.consent_at = timezone.now()
        prospect.consent_text_version = consent_text_version
    prospect.save()
    if visit.status == VisitStatus.SCHEDULED:
        _transition(visit, VisitStatus.IN_PROGRESS)
    _touch(visit, "prospect", [])
    return visit


def visit_estimate(*, visit: Visit) -> Estimate:
    return estimate(
        catalogues=visit_catalogues(visit=visit),
        answers=visit.answers,
        min_minutes=settings.NOMAD_MIN_BILLED_MINUTES,
    )


@transaction.atomic
def visit_confirm_estimate(
    *, visit: Visit, proposed_minutes: int | None, reason: str, base_version: int | None
) -> Visit:
    """Store the server's estimate (the authority) and the advisor's figure; needs captured."""
    visit = _lock(visit, base_version)
    if not visit.catalogue_versions.exists():
        raise VisitError(_("Answer the questionnaire before the estimate."))
    result = visit_estimate(visit=visit)
    if result["minutes_per_week"] == 0:
        raise VisitError(_("Nothing to estimate yet: add rooms, ironing or garden work first."))
    visit.estimate = dict(result)
    visit.estimated_minutes = result["minutes_per_week"]
    visit.estimator_version = ESTIMATOR_VERSION
    if proposed_minutes is None or proposed_minutes == visit.estimated_minutes:
        visit.proposed_minutes, visit.override_reason = visit.estimated_minutes, ""
    else:
        visit.proposed_minutes, visit.override_reason = proposed_minutes, reason.strip()
    _transition(visit, VisitStatus.NEEDS_CAPTURED)
    _touch(
        visit,
        "estimate",
        [
            "estimate",
            "estimated_minutes",
            "estimator_version",
            "proposed_minutes",
            "override_reason",
        ],
    )
    return visit


@transaction.atomic
def visit_set_status(*, visit: Visit, status: str, reason: str) -> Visit:
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    _transition(visit, status, reason)
    visit.version += 1
    visit.save(update_fields=["status", "status_reason", "version", "updated_at"])
    return visit


@transaction.atomic
def visit_mark_quoted(*, visit: Visit) -> Visit:
    """A quote was issued for the visit (called inside the quote's transaction)."""
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.status == VisitStatus.QUOTED:
        return visit  # a revision of a quote already issued
    _transition(visit, VisitStatus.QUOTED)
    visit.version += 1
    visit.save(update_fields=["status", "status_reason", "version", "updated_at"])
    return visit


@transaction.atomic
def visit_assign(*, visit: Visit, advisor: User) -> Visit:
    if (
        advisor.role != Role.ADVISOR
        or not advisor.memberships.filter(agency_id=visit.agency_id).exists()
    ):
        raise VisitError(_("This person is not an advisor of the visit's agency."))
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    visit.advisor = advisor
    visit.version += 1
    visit.save(update_fields=["advisor", "version", "updated_at"])
    return visit


@transaction.atomic
def visit_create_walk_in(
    *,
    agency: Agency,
    advisor: User | None,
    prospect_fields: dict[str, Any],
    scheduled_at: datetime,
    activities: list[str],
    client_uuid: uuid.UUID | None = None,
) -> Visit:
    if client_uuid and (existing := Visit.objects.filter(uuid=client_uuid).first()):
        return existing  # the same walk-in sent twice
    prospect = Prospect.objects.create(agency=agency, **prospect_fields)
    return Visit.objects.create(
        uuid=client_uuid or uuid.uuid4(),
        prospect=prospect,
        agency=agency,
        advisor=advisor,
        scheduled_at=scheduled_at,
        activities=activities,
    )
