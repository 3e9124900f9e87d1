"""The back office's facts change visits through the visit services, as NOMAD's own
writes do: version + 1, a change-log row, an audit entry; a change the visit flow forbids
is refused and parked in the dead letters, with nothing applied."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.consumer import event_apply, message_handle
from integrations.models import DeadLetter, InboundVersion, ProcessedEvent
from organisation.models import Agency, User
from privacy.models import AuditAction, AuditEntry
from tests.bus import backoffice_event, booking, visit_signed
from visits.models import Channel, Visit, VisitChange, VisitStatus
from visits.services import visit_mark_signed


@pytest.fixture
def bo_agency(agency: Agency) -> Agency:
    agency.backoffice_code = "ODY-T-20"
    agency.save()
    return agency


def _apply(type_: str, data: dict[str, Any]) -> str:
    return event_apply(raw=backoffice_event(type_, data))


def _audit(visit: Visit) -> list[tuple[str, dict[str, Any]]]:
    entries = AuditEntry.objects.filter(object_type="visits.visit", object_id=visit.pk)
    return [(e.action, e.changes) for e in entries.order_by("pk")]


def test_a_booking_then_a_move_are_logged_versioned_and_audited(
    bo_agency: Agency, advisor: User
) -> None:
    # Guards the move: it used to set the fields and the version with no audit entry.
    assert _apply("backoffice.visit.scheduled", booking(bo_agency, "BO-W-1")) == "applied"
    visit = Visit.objects.get(backoffice_ref="BO-W-1")
    assert visit.version == 1
    assert [c.keys for c in VisitChange.objects.filter(visit=visit)] == [["scheduled_at"]]
    assert _audit(visit) == [(AuditAction.CREATE, {})]

    moved = booking(bo_agency, "BO-W-1", version=2, advisor=advisor, hours_from_now=50)
    assert _apply("backoffice.visit.rescheduled", moved) == "applied"
    visit.refresh_from_db()
    assert visit.version == 2 and visit.advisor == advisor
    change = VisitChange.objects.get(visit=visit, version=2)
    assert change.keys == ["scheduled_at"] and change.user is None  # the back office
    action, changes = _audit(visit)[-1]
    assert action == AuditAction.UPDATE
    assert set(changes) == {"scheduled_at", "advisor"}
    assert changes["advisor"] == [None, advisor.pk]


def test_a_cancellation_is_logged_versioned_and_audited_as_a_status_change(
    bo_agency: Agency,
) -> None:
    _apply("backoffice.visit.scheduled", booking(bo_agency, "BO-W-2"))
    cancelled = {"agency_code": "ODY-T-20", "version": 2, "visit_ref": "BO-W-2", "reason": "Décès"}
    assert _apply("backoffice.visit.cancelled", cancelled) == "applied"
    visit = Visit.objects.get(backoffice_ref="BO-W-2")
    assert (visit.status, visit.status_reason, visit.version) == ("cancelled", "Décès", 2)
    assert VisitChange.objects.get(visit=visit, version=2).keys == ["status"]
    entry = AuditEntry.objects.get(object_id=visit.pk, action=AuditAction.STATUS)
    assert entry.changes == {"status": ["scheduled", "cancelled"]}
    assert entry.reason == "Décès" and entry.user is None
    # Cancelled again (a later version): nothing to do, nothing written.
    assert _apply("backoffice.visit.cancelled", {**cancelled, "version": 3}) == "ignored"
    visit.refresh_from_db()
    assert visit.version == 2


def test_cancelling_a_signed_visit_is_refused_and_parked(
    agency: Agency, advisor: User, catalogues: list[Any]
) -> None:
    # Guards the transition check on the back office's path: NOMAD's signature stands,
    # and the disagreement waits in the dead letters (nothing applied, version not taken).
    agency.backoffice_code = "ODY-T-21"
    agency.save()
    visit = visit_mark_signed(visit=visit_signed(agency, advisor, catalogues), user=advisor)
    visit.backoffice_ref = "BO-W-3"
    visit.save(update_fields=["backoffice_ref"])
    version, changes = visit.version, VisitChange.objects.filter(visit=visit).count()
    audits = AuditEntry.objects.count()
    raw = backoffice_event(
        "backoffice.visit.cancelled",
        {"agency_code": "ODY-T-21", "version": 4, "visit_ref": "BO-W-3", "reason": "Erreur"},
    )
    assert message_handle(topic="t", partition=0, offset=3, key=b"BO-W-3", value=raw) == "dead"
    letter = DeadLetter.objects.get(offset=3)
    assert "cancellation refused" in letter.error
    visit.refresh_from_db()
    assert (visit.status, visit.version) == (VisitStatus.SIGNED, version)
    assert VisitChange.objects.filter(visit=visit).count() == changes
    assert AuditEntry.objects.count() == audits
    assert not ProcessedEvent.objects.exists()
    assert not InboundVersion.objects.filter(record_ref="BO-W-3").exists()


def test_a_paper_visit_is_set_as_told_through_the_same_change(
    bo_agency: Agency, advisor: User
) -> None:
    # Guards the paper path: the outcome is the back office's fact (no transition table),
    # but it is versioned, logged and audited like any other change.
    _apply("backoffice.visit.scheduled", booking(bo_agency, "BO-W-4"))
    paper = booking(bo_agency, "BO-W-4", version=2, advisor=advisor)
    data = {
        **{k: v for k, v in paper.items() if k not in ("scheduled_at", "duration_minutes")},
        "visited_at": paper["scheduled_at"],
        "outcome": "quoted",
        "minutes_per_week": 240,
    }
    assert _apply("backoffice.visit.recorded_on_paper", data) == "applied"
    visit = Visit.objects.get(backoffice_ref="BO-W-4")
    assert (visit.channel, visit.status, visit.version) == (Channel.PAPER, "quoted", 2)
    assert (visit.estimated_minutes, visit.proposed_minutes) == (240, 240)
    assert VisitChange.objects.get(visit=visit, version=2).keys == ["channel", "status"]
    actions = [action for action, _changes in _audit(visit)]
    assert actions == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.STATUS]
