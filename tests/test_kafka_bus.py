"""The bus against a real Kafka protocol endpoint: librdkafka's mock cluster (three
brokers on loopback), reached by the app's own publisher and consumer."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from typing import Any

import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from integrations.consumer import consume
from integrations.events import topic_for
from integrations.models import DeadLetter, OutboxEvent, ProcessedEvent
from integrations.publisher import relay_once
from integrations.schemas import schema_validate
from organisation.models import Agency, User
from tests.bus import backoffice_event, booking, kafka_read, kafka_send, visit_captured
from tests.conftest import login, wait_until
from tests.factories import VisitFactory
from visits.events import visit_closed_publish
from visits.models import Channel, Visit, VisitStatus
from visits.services import visit_set_status


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"  # closed again when we leave


def test_it_publishes_committed_events_as_cloudevents_keyed_by_visit(
    kafka: str, agency: Agency, advisor: User, catalogues: list[Any]
) -> None:
    visit = visit_captured(agency, advisor, catalogues)
    call_command("relay_outbox", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not OutboxEvent.objects.filter(sent_at__isnull=True).exists()

    messages = kafka_read(topic_for("visit"), 2)
    envelopes = [json.loads(m.value()) for m in messages]
    assert [e["type"] for e in envelopes] == ["visit.scheduled", "visit.completed"]
    for message, envelope in zip(messages, envelopes, strict=True):
        assert message.key() == str(visit.uuid).encode()
        assert envelope["specversion"] == "1.0"
        assert envelope["subject"] == f"visit/{visit.uuid}"
        assert envelope["datacontenttype"] == "application/json"
        schema_validate(envelope)
    assert [json.loads(m.value())["type"] for m in kafka_read(topic_for("prospect"), 1)] == [
        "prospect.updated"
    ]


def test_it_keeps_events_in_the_outbox_in_embedded_mode(settings: Any, agency: Agency) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = ""
    visit_set_status(visit=VisitFactory(prospect__agency=agency), status="lost", reason="")
    result = relay_once()
    assert result.embedded and "embedded" in str(result)
    assert OutboxEvent.objects.get().sent_at is None


def test_it_waits_while_the_broker_is_down_then_delivers(
    kafka: str, settings: Any, agency: Agency
) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = _closed_port()
    settings.KAFKA_DELIVERY_TIMEOUT_SECONDS = 1
    visit = visit_set_status(visit=VisitFactory(prospect__agency=agency), status="lost", reason="")
    result = relay_once()
    event = OutboxEvent.objects.get()
    assert (result.sent, result.failed) == (0, 1)
    assert event.sent_at is None and event.attempts == 1 and event.last_error
    assert event.next_attempt_at is not None and event.next_attempt_at > timezone.now()

    settings.KAFKA_BOOTSTRAP_SERVERS = kafka
    # Back to the fixture's delivery timeout: 1 s to connect and deliver failed under load.
    settings.KAFKA_DELIVERY_TIMEOUT_SECONDS = 5
    # Still backing off: checked just before the retry is due (the backoff is 2 s of wall
    # time, which a loaded machine can spend before this line, so "now" would not do).
    with time_machine.travel(event.next_attempt_at - timedelta(seconds=1), tick=False):
        assert relay_once().sent == 0
    assert OutboxEvent.objects.get().attempts == 1

    def delivered_once_due() -> bool:
        # Each pass runs when the row is due; a pass that fails under load (the first
        # connection to the cluster is slow) only pushes the row back: try again.
        due = OutboxEvent.objects.get().next_attempt_at
        with time_machine.travel(due + timedelta(seconds=1), tick=True):
            return relay_once().sent == 1

    wait_until(delivered_once_due, 90, "the event delivered once the broker is back")
    assert OutboxEvent.objects.get().sent_at is not None
    [message] = kafka_read(topic_for("visit"), 1, timeout=60)
    assert json.loads(message.value())["data"]["visit_id"] == str(visit.uuid)


def test_it_keeps_the_order_of_each_visits_events(kafka: str, agency: Agency) -> None:
    visits = [VisitFactory(prospect__agency=agency, status="lost") for _ in range(3)]
    for version in (1, 2, 3):  # interleaved: v1 of each visit, then v2 of each…
        for visit in visits:
            visit.version = version
            visit_closed_publish(visit=visit)
    # The first visit's first event is in backoff: its later events must wait for it.
    first = OutboxEvent.objects.filter(aggregate_id=str(visits[0].uuid)).order_by("created_at")[0]
    OutboxEvent.objects.filter(pk=first.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5), attempts=1
    )
    result = relay_once()
    assert (result.sent, result.held) == (6, 2)
    assert OutboxEvent.objects.filter(sent_at__isnull=True).count() == 3

    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=True):
        assert relay_once().sent == 3
    by_visit: dict[bytes, list[int]] = {}
    for message in kafka_read(topic_for("visit"), 9):
        by_visit.setdefault(message.key(), []).append(
            json.loads(message.value())["data"]["version"]
        )
    assert by_visit == {str(v.uuid).encode(): [1, 2, 3] for v in visits}


def test_it_applies_back_office_visits_and_shows_paper_ones_in_the_agenda(
    kafka: str, settings: Any, agency: Agency, advisor: User, client: Client
) -> None:
    agency.backoffice_code = "ODY-T-01"
    agency.save()
    paper = booking(agency, "BO-V-7", advisor=advisor, hours_from_now=0)
    paper_data = {
        **{k: v for k, v in paper.items() if k not in ("scheduled_at", "duration_minutes")},
        "visited_at": paper["scheduled_at"],
        "outcome": "needs_captured",
        "minutes_per_week": 180,
    }
    kafka_send(
        f"{settings.KAFKA_BACKOFFICE_TOPIC_PREFIX}.visits",
        [
            ("BO-V-6", backoffice_event("backoffice.visit.scheduled", booking(agency, "BO-V-6"))),
            ("BO-V-7", backoffice_event("backoffice.visit.recorded_on_paper", paper_data)),
        ],
    )
    call_command("consume_backoffice", "--once", "--idle", "1", stdout=open("/dev/null", "w"))  # noqa: SIM115

    scheduled = Visit.objects.get(backoffice_ref="BO-V-6")
    assert scheduled.status == VisitStatus.SCHEDULED and scheduled.channel == Channel.APP
    on_paper = Visit.objects.get(backoffice_ref="BO-V-7")
    assert (on_paper.channel, on_paper.status, on_paper.advisor) == (
        Channel.PAPER,
        VisitStatus.NEEDS_CAPTURED,
        advisor,
    )
    page = login(client, advisor).get("/agenda/").content.decode()
    assert page.count('data-channel="paper"') == 1  # the paper visit is today, in the agenda
    assert ProcessedEvent.objects.count() == 2


def test_it_applies_a_message_delivered_twice_once_and_parks_poison(
    kafka: str, settings: Any, agency: Agency
) -> None:
    agency.backoffice_code = "ODY-T-02"
    agency.save()
    topic = f"{settings.KAFKA_BACKOFFICE_TOPIC_PREFIX}.visits"
    twice = backoffice_event("backoffice.visit.scheduled", booking(agency, "BO-V-1"))
    unknown_agency = {**booking(agency, "BO-V-2"), "agency_code": "ODY-NOWHERE"}
    kafka_send(
        topic,
        [
            ("BO-V-1", twice),
            ("BO-V-1", twice),
            ("BO-V-9", b"{not json"),
            ("BO-V-9", backoffice_event("backoffice.visit.scheduled", {"visit_ref": "x"})),
            ("BO-V-2", backoffice_event("backoffice.visit.scheduled", unknown_agency)),
            ("BO-V-3", backoffice_event("backoffice.visit.scheduled", booking(agency, "BO-V-3"))),
        ],
    )
    result = consume(max_messages=6, idle_seconds=5, poll_seconds=0.2)
    assert result.outcomes == {"applied": 2, "duplicate": 1, "dead": 3}
    assert Visit.objects.filter(backoffice_ref="BO-V-1").count() == 1
    assert Visit.objects.filter(backoffice_ref="BO-V-3").exists()
    errors = sorted(DeadLetter.objects.values_list("error", flat=True))
    assert any("not JSON" in e for e in errors)
    assert any("unknown agency" in e for e in errors)
    assert any("visits" in letter.topic for letter in DeadLetter.objects.all())

    # Offsets were committed: the same group starts after them.
    assert consume(idle_seconds=1, poll_seconds=0.2).total == 0


def test_it_plays_the_back_office_with_the_legacy_simulator(kafka: str, db: None) -> None:
    from io import StringIO

    from nomad_web.demo import demo_seed

    demo_seed()
    before = Visit.objects.count()
    out = StringIO()
    call_command(
        "legacy_simulator", "--duration", "1.5", "--every", "0.1", "--seed", "3", stdout=out
    )
    assert "back office publishes backoffice.visit" in out.getvalue()
    call_command("consume_backoffice", "--once", "--idle", "1", stdout=StringIO())
    assert Visit.objects.count() > before
    assert Visit.objects.filter(backoffice_ref__startswith="SIM-", advisor__isnull=False).exists()
    assert not DeadLetter.objects.exists()
