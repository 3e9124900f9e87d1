"""Outgoing events: the CloudEvents 1.0 envelope and the one way to write an event.

A domain service calls ``outbox_write`` inside its own transaction: the event exists if
and only if the change was committed. The relay (``integrations.publisher``) publishes
the rows later, in order per aggregate.

Door and alarm codes never leave NOMAD except on the mission sheet, which the workers
need to get in: ``outbox_write`` refuses any other event that carries one, so a
careless payload fails loudly in the tests instead of leaking.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from integrations.models import OutboxEvent
from integrations.schemas import schema_validate
from visits.models.visit import ACCESS_CODE_KEYS

SPEC_VERSION = "1.0"
SOURCE = "/nomad-web"
CONTENT_TYPE = "application/json"

# Aggregate type → topic suffix (the topic is "<KAFKA_TOPIC_PREFIX>.<suffix>").
TOPICS = {
    "visit": "visits",
    "quote": "quotes",
    "contract": "contracts",
    "mission": "missions",
    "prospect": "prospects",
}

# Event type → aggregate type. Every type has a schema in docs/events/<type>.json.
OUTBOUND_TYPES = {
    "visit.scheduled": "visit",
    "visit.completed": "visit",
    "visit.lost": "visit",
    "visit.cancelled": "visit",
    "quote.issued": "quote",
    "quote.signed": "quote",
    "quote.refused": "quote",
    "quote.expired": "quote",
    "contract.signed": "contract",
    "mission.instructions.published": "mission",
    "prospect.updated": "prospect",
}

# The events that may carry an access code (visits.models.visit.ACCESS_CODE_KEYS).
EVENTS_ALLOWED_CODES = frozenset({"mission.instructions.published"})


class EventError(ValueError):
    pass


def topic_for(aggregate_type: str) -> str:
    return f"{settings.KAFKA_TOPIC_PREFIX}.{TOPICS[aggregate_type]}"


def event_build(
    *,
    type: str,
    subject: str,
    data: dict[str, Any],
    id: str | None = None,
    time: datetime | None = None,
    source: str = SOURCE,
) -> dict[str, Any]:
    """A CloudEvents 1.0 envelope (structured JSON mode) around ``data``."""
    when = time or timezone.now()
    return {
        "specversion": SPEC_VERSION,
        "id": id or str(uuid.uuid4()),
        "source": source,
        "type": type,
        "time": when.isoformat().replace("+00:00", "Z"),
        "subject": subject,
        "datacontenttype": CONTENT_TYPE,
        "data": data,
    }


def envelope_of(event: OutboxEvent) -> dict[str, Any]:
    return event_build(
        type=event.type,
        subject=event.subject,
        data=event.data,
        id=str(event.id),
        time=event.created_at,
        source=event.source,
    )


def _code_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {k for k, v in value.items() if k in ACCESS_CODE_KEYS and v not in ("", None)}
        for item in value.values():
            found |= _code_keys(item)
        return found
    if isinstance(value, list):
        out: set[str] = set()
        for item in value:
            out |= _code_keys(item)
        return out
    return set()


def outbox_write(
    *,
    type: str,
    aggregate_id: str,
    data: dict[str, Any],
) -> OutboxEvent:
    """Record an event in the caller's transaction (call it inside ``transaction.atomic``)."""
    aggregate_type = OUTBOUND_TYPES.get(type)
    if aggregate_type is None:
        raise EventError(f"unknown event type {type!r}")
    if type not in EVENTS_ALLOWED_CODES and (leaked := _code_keys(data)):
        raise EventError(f"{type} must not carry {sorted(leaked)}")
    event = OutboxEvent(
        type=type,
        source=SOURCE,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        subject=f"{aggregate_type}/{aggregate_id}",
        data=data,
        created_at=timezone.now(),
    )
    if settings.NOMAD_EVENTS_VALIDATE:
        schema_validate(envelope_of(event))
    event.save(force_insert=True)
    return event
