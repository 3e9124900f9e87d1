"""Helpers of the bus tests: read and write the mock cluster as the back office would,
build back-office events, and take a visit through every step that publishes."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from integrations.events import event_build
from organisation.models import Agency, User
from quotes.models import QuoteStatus
from quotes.services import contract_create, quote_create_draft, quote_issue, quote_set_status
from tests.factories import make_price_list
from visits.models import Visit
from visits.services import (
    WriteContext,
    visit_confirm_estimate,
    visit_create_walk_in,
    visit_save_answers,
    visit_save_prospect,
)

DOOR_CODE = "D00R-48213"
ALARM_CODE = "AL4RM-9173"


def kafka_read(topic: str, count: int, timeout: float = 30) -> list[Any]:
    """The first ``count`` messages of a topic (all partitions), as a consumer sees them.

    Returns as soon as ``count`` have come: the generous deadline only bounds a failure
    (joining the group and fetching can take seconds on a loaded machine).
    """
    from confluent_kafka import Consumer

    consumer = Consumer(
        {
            "bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS,
            "group.id": f"reader-{uuid.uuid4().hex[:8]}",
            "group.protocol": "consumer",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "log_level": 3,
        }
    )
    consumer.subscribe([topic])
    messages: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(messages) < count and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                messages.append(message)
    finally:
        consumer.close()
    return messages


def kafka_send(topic: str, values: list[tuple[str, bytes]]) -> None:
    """Produce (key, raw value) pairs, as the back office does."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS, "log_level": 3})
    for key, value in values:
        producer.produce(topic, key=key.encode(), value=value)
    assert producer.flush(10) == 0


def backoffice_event(type_: str, data: dict[str, Any], *, event_id: str = "") -> bytes:
    envelope = event_build(
        type=type_,
        subject=data.get("visit_ref") or data.get("prospect", {}).get("ref", ""),
        data=data,
        id=event_id or str(uuid.uuid4()),
        source="/backoffice/odyssee",
    )
    return json.dumps(envelope).encode()


def booking(
    agency: Agency,
    ref: str,
    *,
    version: int = 1,
    advisor: User | None = None,
    hours_from_now: int = 26,
    prospect_ref: str = "",
) -> dict[str, Any]:
    return {
        "agency_code": agency.backoffice_code,
        "version": version,
        "visit_ref": ref,
        "scheduled_at": (timezone.now() + timedelta(hours=hours_from_now)).isoformat(),
        "duration_minutes": 90,
        "activities": ["housekeeping"],
        "advisor_email": advisor.email if advisor else "",
        "prospect": {
            "ref": prospect_ref or f"P-{ref}",
            "civility": "mrs",
            "first_name": "Odile",
            "last_name": "Bureau-Dupuis",
            "email": "odile@example.test",
            "phone": "06 11 22 33 44",
            "address": "4 rue du Moulin",
            "postal_code": "44000",
            "city": "Nantes",
        },
    }


HOUSEHOLD = {
    "keys": "key_box",
    "door_code": DOOR_CODE,
    "alarm": True,
    "alarm_code": ALARM_CODE,
    "pets": "Un chat, Gribouille : ne pas le laisser sortir",
    "products_by": "client",
    "products_location": "Placard sous l'évier",
    "equipment": ["vacuum", "mop"],
    "equipment_location": "Cellier",
}
DWELLING = {
    "dwelling_type": "flat",
    "surface_m2": 70,
    "levels": 1,
    "rooms": [
        {
            "type": "kitchen",
            "label": "",
            "tasks": {"floors": "each", "worktops": "each"},
            "instructions": "Plaque à induction : produit spécial",
        },
        {"type": "bedroom", "label": "Chambre de Léo", "tasks": {"dusting": "every_2"}},
    ],
}
INSTRUCTIONS = {"priorities": "La cuisine d'abord", "never_touch": "Le bureau de Monsieur"}
SCHEDULE = {"frequency": "weekly", "days": ["tue"], "time_slots": ["morning"]}


def visit_captured(agency: Agency, advisor: User, catalogues: list[Any]) -> Visit:
    """A walk-in visit taken through the steps to its confirmed estimate, codes included."""
    visit = visit_create_walk_in(
        agency=agency,
        advisor=advisor,
        prospect_fields={
            "first_name": "Rose",
            "last_name": "Tablette",
            "address": "9 rue Crébillon",
            "postal_code": "44000",
            "city": "Nantes",
            "email": "rose@example.test",
        },
        scheduled_at=timezone.now(),
        activities=["housekeeping"],
    )
    # Consent first: nothing else can be recorded before it.
    visit_save_prospect(
        visit=visit,
        fields={"phone": "06 99 88 77 66"},
        consent_given=True,
        ctx=WriteContext(base_version=None),
        consent_text_version="1",
    )
    ids = [c.pk for c in catalogues if c.activity == "housekeeping"]
    for step, answers in [
        ("household", HOUSEHOLD),
        ("dwelling", DWELLING),
        ("instructions", INSTRUCTIONS),
        ("schedule", SCHEDULE),
    ]:
        visit_save_answers(
            visit=visit,
            step=step,
            answers=answers,
            ctx=WriteContext(base_version=None),
            catalogue_ids=ids,
        )
    visit_confirm_estimate(visit=visit, proposed_minutes=None, reason="", ctx=WriteContext(None))
    return Visit.objects.get(pk=visit.pk)


def visit_signed(agency: Agency, advisor: User, catalogues: list[Any]) -> Visit:
    """The same visit quoted, contracted and signed (the mission sheet is published)."""
    if not agency.brand.price_lists.exists():
        make_price_list(agency.brand)
    visit = visit_captured(agency, advisor, catalogues)
    quote = quote_issue(quote=quote_create_draft(visit=visit, user=advisor))
    contract_create(quote=quote, user=advisor, early_start_requested=False)
    quote_set_status(quote=quote, status=QuoteStatus.SIGNED)
    return Visit.objects.get(pk=visit.pk)
