"""Writes on visits. Each one is a single request's worth of change, replayable as is.

A write names the version it was based on. Every accepted write raises the version and
logs which keys it changed (``VisitChange``). A write based on an older version is still
applied when nobody else changed the same keys since (the device's own earlier offline
writes do not count); when someone else did, nothing is applied and a ``Conflict`` is
stored with both versions, for a person to resolve. Nothing is overwritten silently.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organisation.models import Agency, Role, User
from privacy.audit import audit_diff, audit_record, sensitive_keys
from privacy.models import AuditAction
from visits.catalogue import visit_catalogues
from visits.estimator import ESTIMATOR_VERSION, Estimate, estimate
from visits.events import (
    prospect_updated_publish,
    visit_closed_publish,
    visit_completed_publish,
    visit_scheduled_publish,
)
from visits.models import (
    CatalogueStatus,
    CatalogueVersion,
    Channel,
    Conflict,
    Prospect,
    Visit,
    VisitChange,
    VisitStatus,
)
from visits.models.visit import PROSPECT_FIELDS


class VisitError(Exception):
    """A write that cannot be done; the message is for the person who tried."""


class WrongCatalogue(VisitError):
    pass


class SubmissionIdTaken(VisitError):
    """The id a device chose for a new object is another's, out of this person's reach."""


class TransitionNotAllowed(VisitError):
    pass


@dataclass
class WriteContext:
    """Who writes, from which device, on top of which version."""

    base_version: int | None
    user: User | None = None
    device_id: str = ""
    client_uuid: uuid.UUID | None = None
    #: When the tablet recorded the write (None: now, online).
    captured_at: datetime | None = None


@dataclass
class WriteResult:
    visit: Visit
    conflict: Conflict | None = None
    changed: list[str] = field(default_factory=list)


def _lock(visit: Visit) -> Visit:
    locked = Visit.objects.select_for_update().select_related("prospect").get(pk=visit.pk)
    if not locked.is_editable:
        raise VisitError(
            _("A visit that is %(status)s cannot be changed.")
            % {"status": locked.get_status_display()}
        )
    return locked


def _current(visit: Visit, key: str) -> Any:
    area, _sep, name = key.partition(".")
    if area == "answers":
        return visit.answers.get(name)
    if area == "prospect":
        return getattr(visit.prospect, name)
    if area == "estimate":
        return getattr(visit, name)
    raise KeyError(key)


def _set(visit: Visit, key: str, value: Any) -> None:
    area, _sep, name = key.partition(".")
    if area == "answers":
        visit.answers = {**visit.answers, name: value}
    elif area == "prospect":
        setattr(visit.prospect, name, value)
    elif area == "estimate":
        setattr(visit, name, value)
    else:
        raise KeyError(key)


def _foreign_keys(visit: Visit, ctx: WriteContext) -> set[str]:
    """Keys changed since the write's base version by anyone but the writing device."""
    if ctx.base_version is None or ctx.base_version >= visit.version:
        return set()
    changes = VisitChange.objects.filter(visit=visit, version__gt=ctx.base_version)
    if ctx.device_id:
        changes = changes.exclude(device_id=ctx.device_id)
    keys: set[str] = set()
    for change_keys in changes.values_list("keys", flat=True):
        keys.update(change_keys)
    # A change made before the log existed (or by a service that logs no keys) is
    # unknown: treat every key as possibly changed rather than risk an overwrite.
    logged = VisitChange.objects.filter(visit=visit, version__gt=ctx.base_version).count()
    if logged < visit.version - ctx.base_version:
        keys.add("*")
    return keys


def _write(
    visit: Visit,
    ctx: WriteContext,
    *,
    step: str,
    changes: dict[str, Any],
    complete: bool = True,
    extra_fields: list[str] | None = None,
) -> WriteResult:
    """Apply ``changes`` (key → value) to a locked visit, or record a conflict."""
    if ctx.base_version is not None and ctx.base_version > visit.version:
        raise VisitError(_("This edit refers to a version of the visit that does not exist."))
    changed = sorted(k for k, v in changes.items() if _current(visit, k) != v)
    foreign = _foreign_keys(visit, ctx)
    clashing = sorted(k for k in changed if k in foreign or "*" in foreign)
    if clashing:
        conflict = Conflict.objects.create(
            visit=visit,
            step=step,
            client_uuid=ctx.client_uuid,
            base_version=ctx.base_version or 0,
            server_version=visit.version,
            mine={k: changes[k] for k in changed},
            theirs={k: _current(visit, k) for k in changed},
            conflicting_keys=clashing,
            author=ctx.user,
            device_id=ctx.device_id,
        )
        return WriteResult(visit=visit, conflict=conflict, changed=changed)
    before = {k: _current(visit, k) for k in changed}
    status_before = visit.status
    for key in changed:
        _set(visit, key, changes[key])
    if any(k.startswith("prospect.") for k in changed):
        visit.prospect.save()
    if visit.status == VisitStatus.SCHEDULED:
        _transition(visit, VisitStatus.IN_PROGRESS)
    elif (
        visit.status == VisitStatus.NEEDS_CAPTURED
        and step != "estimate"
        and changed
        and _estimate_changed(visit)
    ):
        # Needs that change the estimate make it out of date: back to capture. A change
        # the estimate does not see (instructions, access, the household) keeps it, so a
        # quote made on it stands (the tablet decides the same, static/js/device-view.js).
        _transition(visit, VisitStatus.IN_PROGRESS)
    if complete and step not in visit.completed_steps:
        visit.completed_steps = [*visit.completed_steps, step]
    visit.version += 1
    visit.save(
        update_fields=[
            "answers",
            "completed_steps",
            "version",
            "status",
            "status_reason",
            "updated_at",
            *(extra_fields or []),
        ]
    )
    VisitChange.objects.create(
        visit=visit, version=visit.version, keys=changed, device_id=ctx.device_id, user=ctx.user
    )
    diff = audit_diff(
        before={**before, "status": status_before},
        after={**{k: _current(visit, k) for k in changed}, "status": visit.status},
        masked=sensitive_keys(),
    )
    if diff:
        audit_record(
            user=ctx.user,
            action=AuditAction.UPDATE,
            obj=visit,
            prospect_id=visit.prospect_id,
            changes=diff,
        )
    return WriteResult(visit=visit, changed=changed)


def _estimate_changed(visit: Visit) -> bool:
    """Whether the answers now give other minutes per week than the confirmed estimate."""

    def minutes(estimate: Any) -> list[tuple[str, int]]:
        return [(a["activity"], int(a["minutes_per_week"])) for a in estimate["activities"]]

    try:
        now = visit_estimate(visit=visit)
    except ValueError:
        return True  # the answers cannot be estimated any more
    return not visit.estimate or minutes(now) != minutes(visit.estimate)


def visit_require_consent(*, visit: Visit) -> None:
    """Nothing about the home or the household is recorded before the person agreed."""
    if visit.prospect.consent_at is None:
        raise VisitError(
            _("Record the prospect's consent on the first step before capturing anything else.")
        )


def _audit_status(visit: Visit, before: str, user: User | None) -> None:
    if visit.status != before:
        audit_record(
            user=user,
            action=AuditAction.STATUS,
            obj=visit,
            prospect_id=visit.prospect_id,
            changes={"status": [before, visit.status]},
            reason=visit.status_reason,
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


@transaction.atomic
def visit_save_answers(
    *,
    visit: Visit,
    step: str,
    answers: dict[str, Any],
    ctx: WriteContext,
    catalogue_ids: list[int],
    complete: bool = True,
) -> WriteResult:
    """Record one step's answers, all or nothing."""
    visit = _lock(visit)
    visit_require_consent(visit=visit)
    _bind_catalogues(visit, catalogue_ids)
    changes = {f"answers.{k}": v for k, v in answers.items()}
    return _write(visit, ctx, step=step, changes=changes, complete=complete)


@transaction.atomic
def visit_save_prospect(
    *,
    visit: Visit,
    fields: dict[str, Any],
    consent_given: bool,
    ctx: WriteContext,
    consent_text_version: str,
) -> WriteResult:
    visit = _lock(visit)
    prospect = visit.prospect
    if consent_given and not prospect.consent_at:
        # Consent is a fact of the moment it was given, not a value that can conflict.
        prospect.consent_received_at = timezone.now()
        prospect.consent_at = ctx.captured_at or prospect.consent_received_at
        prospect.consent_text_version = consent_text_version
        prospect.consent_by = ctx.user
        prospect.save(
            update_fields=[
                "consent_at",
                "consent_received_at",
                "consent_text_version",
                "consent_by",
                "updated_at",
            ]
        )
        audit_record(
            user=ctx.user,
            action=AuditAction.CONSENT,
            obj=prospect,
            prospect_id=prospect.pk,
            changes={"consent_text_version": ["", consent_text_version]},
        )
    changes = {f"prospect.{k}": v for k, v in fields.items() if k in PROSPECT_FIELDS}
    write = _write(visit, ctx, step="prospect", changes=changes)
    if write.conflict is None and write.changed:
        prospect_updated_publish(
            prospect=visit.prospect, changed=[k.removeprefix("prospect.") for k in write.changed]
        )
    return write


def visit_estimate(*, visit: Visit) -> Estimate:
    return estimate(
        catalogues=visit_catalogues(visit=visit),
        answers=visit.answers,
        min_minutes=settings.NOMAD_MIN_BILLED_MINUTES,
    )


@transaction.atomic
def visit_confirm_estimate(
    *, visit: Visit, proposed_minutes: int | None, reason: str, ctx: WriteContext
) -> WriteResult:
    """Store the server's estimate (the authority) and the advisor's figure; needs captured."""
    visit = _lock(visit)
    visit_require_consent(visit=visit)
    if not visit.catalogue_versions.exists():
        raise VisitError(_("Answer the questionnaire before the estimate."))
    result = visit_estimate(visit=visit)
    if result["minutes_per_week"] == 0:
        raise VisitError(_("Nothing to estimate yet: add rooms, ironing or garden work first."))
    estimated = result["minutes_per_week"]
    if proposed_minutes is None or proposed_minutes == estimated:
        proposed, why = estimated, ""
    else:
        proposed, why = proposed_minutes, reason.strip()
    visit.estimate = dict(result)
    visit.estimated_minutes = estimated
    visit.estimator_version = ESTIMATOR_VERSION
    write = _write(
        visit,
        ctx,
        step="estimate",
        changes={"estimate.proposed_minutes": proposed, "estimate.override_reason": why},
        extra_fields=[
            "estimate",
            "estimated_minutes",
            "estimator_version",
            "proposed_minutes",
            "override_reason",
        ],
    )
    if write.conflict is None:
        status_before = visit.status
        _transition(visit, VisitStatus.NEEDS_CAPTURED)
        visit.save(update_fields=["status", "status_reason"])
        _audit_status(visit, status_before, ctx.user)
        visit_completed_publish(visit=visit)
    return write


def _audited(values: dict[str, Any]) -> dict[str, Any]:
    """Field values for the audit diff, the answers key by key (so codes are masked)."""
    out = {k: v for k, v in values.items() if k != "answers"}
    if "answers" in values:
        out.update({f"answers.{k}": v for k, v in (values["answers"] or {}).items()})
    return out


def _visit_change(
    visit: Visit,
    *,
    keys: list[str],
    values: dict[str, Any] | None = None,
    status: str | None = None,
    reason: str = "",
    user: User | None = None,
    as_told: bool = False,
) -> Visit:
    """The one way a status or a booking changes (call it inside ``transaction.atomic``).

    On the row locked here (a visit not saved yet is created): the field ``values`` and the
    status, through the allowed transitions unless ``as_told`` (a back-office fact such as
    a visit made on paper is not a step of NOMAD's flow); then version + 1, the change log
    (``keys``) and the audit log. Raises ``TransitionNotAllowed`` before writing anything.
    """
    values = values or {}
    adding = visit._state.adding
    if not adding:
        visit = Visit.objects.select_for_update().select_related("prospect").get(pk=visit.pk)
    status_before = visit.status
    before = {name: getattr(visit, name) for name in values}
    if status is not None and not as_told:
        _transition(visit, status, reason)
    elif status is not None:
        visit.status, visit.status_reason = status, reason
    for name, value in values.items():
        setattr(visit, name, value)
    visit.version += 1
    if adding:
        visit.save(force_insert=True)
    else:
        visit.save(update_fields=[*values, "status", "status_reason", "version", "updated_at"])
    VisitChange.objects.create(visit=visit, version=visit.version, keys=keys, user=user)
    if adding:
        audit_record(user=user, action=AuditAction.CREATE, obj=visit, prospect_id=visit.prospect_id)
        return visit
    diff = audit_diff(
        before=_audited(before),
        after=_audited({name: getattr(visit, name) for name in values}),
        masked=sensitive_keys(),
    )
    if diff:
        audit_record(
            user=user,
            action=AuditAction.UPDATE,
            obj=visit,
            prospect_id=visit.prospect_id,
            changes=diff,
        )
    _audit_status(visit, status_before, user)
    return visit


@transaction.atomic
def visit_set_status(*, visit: Visit, status: str, reason: str, user: User | None = None) -> Visit:
    visit = _visit_change(visit, keys=["status"], status=status, reason=reason, user=user)
    if status in (VisitStatus.LOST, VisitStatus.CANCELLED):
        visit_closed_publish(visit=visit)
    return visit


@transaction.atomic
def visit_mark_quoted(*, visit: Visit, user: User | None = None) -> Visit:
    """A quote was issued for the visit (called inside the quote's transaction)."""
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.status == VisitStatus.QUOTED:
        return visit  # a revision of a quote already issued
    return _visit_change(visit, keys=["status"], status=VisitStatus.QUOTED, user=user)


@transaction.atomic
def visit_mark_signed(*, visit: Visit, user: User | None = None) -> Visit:
    """The client signed the quote and the contract (called inside that transaction)."""
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if visit.status == VisitStatus.SIGNED:
        return visit
    return _visit_change(visit, keys=["status"], status=VisitStatus.SIGNED, user=user)


# The back office's facts (integrations.consumer): applied through the same change as
# NOMAD's own writes, by the system (no user); they are not published back.


@transaction.atomic
def visit_apply_booking(
    *,
    agency: Agency,
    prospect: Prospect,
    backoffice_ref: str,
    advisor: User | None,
    scheduled_at: datetime,
    duration_minutes: int,
    activities: list[str],
) -> Visit:
    """A visit the back office booked, new to NOMAD."""
    visit = Visit(
        prospect=prospect,
        agency=agency,
        backoffice_ref=backoffice_ref,
        version=0,
        scheduled_at=scheduled_at,
        duration_minutes=duration_minutes,
        activities=activities,
        advisor=advisor,
    )
    return _visit_change(visit, keys=["scheduled_at"])


@transaction.atomic
def visit_apply_move(
    *,
    visit: Visit,
    scheduled_at: datetime,
    duration_minutes: int,
    advisor: User | None,
    activities: list[str],
) -> Visit:
    """The back office moved (rescheduled) a visit NOMAD knows."""
    values: dict[str, Any] = {"scheduled_at": scheduled_at, "duration_minutes": duration_minutes}
    if advisor is not None:
        values["advisor"] = advisor
    if visit.status == VisitStatus.SCHEDULED:
        # Once the advisor has started, the activities are theirs to change.
        values["activities"] = activities
    return _visit_change(visit, keys=["scheduled_at"], values=values)


@transaction.atomic
def visit_apply_cancellation(*, visit: Visit, reason: str) -> Visit | None:
    """The back office cancelled the visit; None when it already is. A visit NOMAD has
    taken further (needs captured, quoted, signed, lost) refuses it: ``TransitionNotAllowed``."""
    if visit.status == VisitStatus.CANCELLED:
        return None
    return _visit_change(visit, keys=["status"], status=VisitStatus.CANCELLED, reason=reason[:300])


@transaction.atomic
def visit_apply_paper_visit(
    *,
    visit: Visit | None,
    agency: Agency,
    prospect: Prospect,
    backoffice_ref: str,
    advisor: User | None,
    visited_at: datetime,
    activities: list[str],
    outcome: str,
    minutes_per_week: int | None,
) -> Visit:
    """A visit the advisor made on paper, as the back office recorded it (new or known)."""
    if visit is None:
        visit = Visit(prospect=prospect, agency=agency, backoffice_ref=backoffice_ref, version=0)
    values: dict[str, Any] = {
        "channel": Channel.PAPER,
        "scheduled_at": visited_at,
        "activities": activities,
        "advisor": advisor or visit.advisor,
    }
    if minutes_per_week:
        values["estimated_minutes"] = values["proposed_minutes"] = minutes_per_week
    # A fact of the back office, not a step of NOMAD's flow: set as told.
    return _visit_change(
        visit,
        keys=["channel", "status"],
        values=values,
        status=outcome,
        reason=visit.status_reason,
        as_told=True,
    )


# The keys the offline sync compares, for the fields the admin's form may change.
SYNC_KEY_AREAS = {"proposed_minutes": "estimate", "override_reason": "estimate"}


@transaction.atomic
def visit_admin_change(
    *, visit: Visit, values: dict[str, Any], status: str | None, user: User
) -> Visit:
    """The fields and (if it changed) the status a staff member set on the admin's form.

    The status goes through the allowed transitions (``TransitionNotAllowed``); the
    change log names the keys the offline sync compares (``answers.<key>``…), so a
    tablet's stale edit of the same answer becomes a conflict."""
    current = Visit.objects.get(pk=visit.pk)
    values = {name: value for name, value in values.items() if getattr(current, name) != value}
    keys = {f"{SYNC_KEY_AREAS[n]}.{n}" if n in SYNC_KEY_AREAS else n for n in values}
    if "answers" in values:
        keys.discard("answers")
        new = values["answers"] or {}
        keys |= {
            f"answers.{k}"
            for k in set(current.answers) | set(new)
            if current.answers.get(k) != new.get(k)
        }
    new_status = status if status is not None and status != current.status else None
    if new_status is not None:
        keys.add("status")
    return _visit_change(
        visit,
        keys=sorted(keys),
        values=values,
        status=new_status,
        reason=values.get("status_reason", current.status_reason),
        user=user,
    )


@transaction.atomic
def visit_assign(*, visit: Visit, advisor: User, user: User | None = None) -> Visit:
    if (
        advisor.role != Role.ADVISOR
        or not advisor.memberships.filter(agency_id=visit.agency_id).exists()
    ):
        raise VisitError(_("This person is not an advisor of the visit's agency."))
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    advisor_before = visit.advisor_id
    visit.advisor = advisor
    visit.version += 1
    visit.save(update_fields=["advisor", "version", "updated_at"])
    VisitChange.objects.create(visit=visit, version=visit.version, keys=["advisor"], user=user)
    audit_record(
        user=user,
        action=AuditAction.ASSIGN,
        obj=visit,
        prospect_id=visit.prospect_id,
        changes={"advisor": [advisor_before, advisor.pk]},
    )
    return visit


@transaction.atomic
def conflict_resolve(*, conflict: Conflict, keep: dict[str, str], user: User) -> Conflict:
    """Apply, key by key, the device's value ("mine") or the server's ("theirs")."""
    conflict = Conflict.objects.select_for_update().get(pk=conflict.pk)
    if not conflict.is_open:
        raise VisitError(_("This conflict is already resolved."))
    if conflict.is_sale:
        # Nothing the client did not see is ever issued or sealed: the tablet's document
        # is set aside, and the advisor makes the sale again from the server's data.
        if set(keep.values()) != {"theirs"}:
            raise VisitError(_("A document nobody signed as shown cannot be kept."))
        conflict.resolved_at = timezone.now()
        conflict.resolved_by = user
        conflict.resolution = {k: conflict.theirs.get(k) for k in conflict.mine}
        conflict.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        return conflict
    if set(keep) != set(conflict.mine) or not set(keep.values()) <= {"mine", "theirs"}:
        raise VisitError(_("Choose, for every answer, the value to keep."))
    visit = _lock(conflict.visit)
    chosen = {k: conflict.mine[k] for k, side in keep.items() if side == "mine"}
    # The person has seen the server's current values: this write is based on them.
    ctx = WriteContext(base_version=visit.version, user=user)
    write = _write(visit, ctx, step=conflict.step, changes=chosen, complete=False)
    if write.conflict is not None:  # cannot happen on the current version; be explicit
        raise VisitError(_("The visit changed again; reload the conflict."))
    conflict.resolved_at = timezone.now()
    conflict.resolved_by = user
    conflict.resolution = {
        k: (conflict.mine[k] if side == "mine" else conflict.theirs[k]) for k, side in keep.items()
    }
    conflict.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    return conflict


@transaction.atomic
def visit_create_walk_in(
    *,
    agency: Agency,
    advisor: User | None,
    prospect_fields: dict[str, Any],
    scheduled_at: datetime,
    activities: list[str],
    client_uuid: uuid.UUID | None = None,
    user: User | None = None,
) -> Visit:
    if client_uuid and (existing := Visit.objects.filter(uuid=client_uuid).first()):
        # The same walk-in sent twice, when its visit is one this person may reach; another
        # agency's visit is neither answered nor duplicated (the id is unique anyway).
        if user is not None and not Visit.objects.for_user(user).filter(pk=existing.pk).exists():
            raise SubmissionIdTaken(_("This visit's id is already taken: it was not created."))
        return existing
    prospect = Prospect.objects.create(agency=agency, **prospect_fields)
    visit = Visit.objects.create(
        uuid=client_uuid or uuid.uuid4(),
        prospect=prospect,
        agency=agency,
        advisor=advisor,
        scheduled_at=scheduled_at,
        activities=activities,
    )
    audit_record(user=user, action=AuditAction.CREATE, obj=visit, prospect_id=prospect.pk)
    # The back office learns of visits made without it (walk-ins) from this event.
    visit_scheduled_publish(visit=visit)
    return visit
