"""The events the visit and quote services write, without Kafka: types, schemas, codes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from integrations.events import OUTBOUND_TYPES, EventError, outbox_write
from integrations.models import OutboxEvent
from organisation.models import Agency, User
from quotes.models import QuoteStatus
from quotes.services import quote_create_draft, quote_expire_due, quote_issue, quote_set_status
from tests.bus import ALARM_CODE, DOOR_CODE, visit_captured, visit_signed
from tests.factories import VisitFactory, make_price_list, make_visit_ready_to_quote
from visits.models import VisitStatus
from visits.services import visit_set_status


def _types() -> list[str]:
    return list(OutboxEvent.objects.order_by("created_at").values_list("type", flat=True))


def test_it_writes_the_visit_events_in_the_order_of_the_changes(
    agency: Agency, advisor: User, catalogues: list[Any]
) -> None:
    visit = visit_captured(agency, advisor, catalogues)
    assert _types() == ["visit.scheduled", "prospect.updated", "visit.completed"]
    completed = OutboxEvent.objects.get(type="visit.completed")
    assert completed.aggregate_id == str(visit.uuid)
    assert completed.data["version"] == visit.version
    assert completed.data["needs"]["pets"].startswith("Un chat")
    assert "door_code" not in completed.data["needs"]


def test_it_publishes_every_event_type_and_codes_only_on_the_mission_sheet(
    agency: Agency, advisor: User, catalogues: list[Any]
) -> None:
    visit_signed(agency, advisor, catalogues)
    visit_set_status(visit=VisitFactory(prospect__agency=agency), status="lost", reason="Trop cher")
    visit_set_status(visit=VisitFactory(prospect__agency=agency), status="cancelled", reason="")
    refused = quote_issue(
        quote=quote_create_draft(visit=make_visit_ready_to_quote(agency), user=None)
    )
    quote_set_status(quote=refused, status=QuoteStatus.REFUSED)
    expiring = quote_issue(
        quote=quote_create_draft(visit=make_visit_ready_to_quote(agency), user=None)
    )
    assert quote_expire_due(today=expiring.valid_until + timedelta(days=1)) == 1

    assert set(_types()) == set(OUTBOUND_TYPES)
    for event in OutboxEvent.objects.all():
        text = json.dumps(event.data, ensure_ascii=False)
        carries_codes = DOOR_CODE in text or ALARM_CODE in text
        assert carries_codes == (event.type == "mission.instructions.published"), event.type


def test_it_refuses_an_event_that_would_carry_an_access_code(db: None) -> None:
    with pytest.raises(EventError):
        outbox_write(type="visit.lost", aggregate_id="x", data={"nested": {"door_code": "1234"}})
    assert not OutboxEvent.objects.exists()


def test_it_writes_nothing_when_the_change_is_rolled_back(agency: Agency) -> None:
    make_price_list(agency.brand)
    visit = make_visit_ready_to_quote(agency)
    quote = quote_create_draft(visit=visit, user=None)
    quote.visit.status = VisitStatus.LOST  # the issue will refuse this visit
    quote.visit.save()
    with pytest.raises(Exception):  # noqa: B017 - whatever the domain error is
        quote_issue(quote=quote)
    assert not OutboxEvent.objects.filter(type="quote.issued").exists()
