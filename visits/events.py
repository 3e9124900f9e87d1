"""What NOMAD tells the back office about visits, prospects and mission sheets: one
function per fact, called by the domain services inside their transactions. Each builds
the event's data and writes it to the outbox (``integrations.events.outbox_write``).

Facts that came from the back office (a visit it scheduled, a prospect it updated) are
not echoed back: it already knows them.
"""

from __future__ import annotations

from typing import Any

from integrations.events import outbox_write
from integrations.models import OutboxEvent
from quotes.models import Contract, QuoteStatus
from visits.catalogue import sensitive_answer_keys, visit_catalogues
from visits.mission import mission_sheet
from visits.models import Prospect, Visit

MISSION_EVENT = "mission.instructions.published"


def iso_or_blank(value: Any) -> str:
    """A date or a date and time as the event contract writes it; blank when unknown."""
    return value.isoformat() if value else ""


def agency_data(visit: Visit) -> dict[str, str]:
    """The visit's agency as every event names it (also the quotes' and contracts')."""
    return {"code": visit.agency.code, "backoffice_code": visit.agency.backoffice_code or ""}


def _visit(visit: Visit) -> dict[str, Any]:
    return {
        "visit_id": str(visit.uuid),
        "backoffice_ref": visit.backoffice_ref,
        "agency": agency_data(visit),
        "version": visit.version,
        "status": visit.status,
        "channel": visit.channel,
    }


def prospect_data(prospect: Prospect) -> dict[str, Any]:
    return {
        "prospect_id": str(prospect.pk),
        "backoffice_ref": prospect.backoffice_ref,
        "civility": prospect.civility,
        "first_name": prospect.first_name,
        "last_name": prospect.last_name,
        "email": prospect.email,
        "phone": prospect.phone,
        "address": prospect.address,
        "postal_code": prospect.postal_code,
        "city": prospect.city,
        "place_of_intervention": prospect.place_of_intervention,
        "consent_at": iso_or_blank(prospect.consent_at),
    }


def visit_needs(visit: Visit) -> dict[str, Any]:
    """The captured answers without the sensitive ones (access codes)."""
    hidden = sensitive_answer_keys(catalogues=visit_catalogues(visit=visit))
    return {k: v for k, v in (visit.answers or {}).items() if k not in hidden}


def visit_scheduled_publish(*, visit: Visit) -> OutboxEvent:
    return outbox_write(
        type="visit.scheduled",
        aggregate_id=str(visit.uuid),
        data={
            **_visit(visit),
            "scheduled_at": iso_or_blank(visit.scheduled_at),
            "duration_minutes": visit.duration_minutes,
            "activities": list(visit.activities),
            "advisor_email": visit.advisor.email if visit.advisor else "",
            "prospect": prospect_data(visit.prospect),
        },
    )


def visit_completed_publish(*, visit: Visit) -> OutboxEvent:
    return outbox_write(
        type="visit.completed",
        aggregate_id=str(visit.uuid),
        data={
            **_visit(visit),
            "activities": list(visit.activities),
            "catalogue_versions": [
                {"activity": v.activity, "number": v.number}
                for v in visit.catalogue_versions.order_by("activity")
            ],
            "estimated_minutes_per_week": visit.estimated_minutes or 0,
            "proposed_minutes_per_week": visit.proposed_minutes or 0,
            "override_reason": visit.override_reason,
            "needs": visit_needs(visit),
        },
    )


def visit_closed_publish(*, visit: Visit) -> OutboxEvent:
    """Lost or cancelled, with the reason given."""
    return outbox_write(
        type=f"visit.{visit.status}",
        aggregate_id=str(visit.uuid),
        data={**_visit(visit), "reason": visit.status_reason},
    )


def prospect_updated_publish(*, prospect: Prospect, changed: list[str]) -> OutboxEvent:
    return outbox_write(
        type="prospect.updated",
        aggregate_id=str(prospect.pk),
        data={
            **prospect_data(prospect),
            "agency": {
                "code": prospect.agency.code,
                "backoffice_code": prospect.agency.backoffice_code or "",
            },
            "changed": sorted(changed),
        },
    )


def _last_mission(visit: Visit) -> OutboxEvent | None:
    return (
        OutboxEvent.objects.filter(type=MISSION_EVENT, aggregate_id=str(visit.uuid))
        .order_by("-created_at")
        .first()
    )


def mission_publish(*, visit: Visit) -> OutboxEvent:
    last = _last_mission(visit)
    revision = (last.data.get("revision", 0) if last else 0) + 1
    return outbox_write(
        type=MISSION_EVENT,
        aggregate_id=str(visit.uuid),
        data={**mission_sheet(visit=visit), "revision": revision},
    )


def mission_is_due(*, visit: Visit) -> bool:
    """The workers need a sheet once the visit's contract is signed."""
    return Contract.objects.filter(quote__visit=visit, quote__status=QuoteStatus.SIGNED).exists()


def mission_republish_if_changed(*, visit: Visit) -> OutboxEvent | None:
    """After a change to a signed visit: a new sheet when its content differs."""
    if not mission_is_due(visit=visit):
        return None
    visit = Visit.objects.select_related("prospect", "agency").get(pk=visit.pk)
    last = _last_mission(visit)
    sheet = mission_sheet(visit=visit)
    if last is not None and {k: v for k, v in last.data.items() if k != "revision"} == sheet:
        return None
    return mission_publish(visit=visit)
