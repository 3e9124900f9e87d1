"""The relay: publishes the outbox to Kafka, in order per aggregate, and marks rows sent.

One pass (``relay_once``) takes the oldest unsent rows (locked with SKIP LOCKED on
PostgreSQL, so two relays never take the same rows), leaves out every row whose
aggregate has an older row still unsent (in backoff, or taken by another relay: sending
the newer one first would reorder the aggregate's events), produces the rest with an
idempotent producer (key = aggregate id, so one aggregate's events share a partition and
keep their order), waits for the acknowledgements, then marks the delivered rows sent
and pushes the others back with an exponential backoff.

Without ``KAFKA_BOOTSTRAP_SERVERS`` (the embedded mode) nothing is sent: events stay in
the outbox, visible in the admin.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from integrations.events import envelope_of, topic_for
from integrations.models import OutboxEvent

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 2
BACKOFF_MAX_SECONDS = 300


def kafka_config(**extra: Any) -> dict[str, Any]:
    """Client configuration from the settings (read now, not at import)."""
    config: dict[str, Any] = {"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS}
    optional = {
        "security.protocol": settings.KAFKA_SECURITY_PROTOCOL,
        "sasl.mechanism": settings.KAFKA_SASL_MECHANISM,
        "sasl.username": settings.KAFKA_SASL_USERNAME,
        "sasl.password": settings.KAFKA_SASL_PASSWORD,
    }
    config.update({k: v for k, v in optional.items() if v})
    config.update(extra)
    return config


def kafka_enabled() -> bool:
    return bool(settings.KAFKA_BOOTSTRAP_SERVERS)


def producer_create() -> Any:
    from confluent_kafka import Producer

    timeout_ms = int(settings.KAFKA_DELIVERY_TIMEOUT_SECONDS * 1000)
    return Producer(
        kafka_config(
            **{
                # Exactly once into the partition, in order, acknowledged by every replica.
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
                "compression.type": "lz4",
                # A message not acknowledged in time is reported failed (then retried later
                # from the outbox) instead of waiting forever.
                "message.timeout.ms": timeout_ms,
                "socket.connection.setup.timeout.ms": min(timeout_ms, 30000),
            }
        )
    )


@dataclass
class RelayResult:
    sent: int = 0
    failed: int = 0
    held: int = 0
    embedded: bool = False
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if self.embedded:
            return "embedded mode (no KAFKA_BOOTSTRAP_SERVERS): events stay in the outbox"
        return f"sent {self.sent}, failed {self.failed}, held back {self.held}"


def backoff(attempts: int) -> timedelta:
    return timedelta(
        seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    )


def _pick(batch_size: int) -> tuple[list[OutboxEvent], int]:
    """The rows to send now (oldest first) and how many were held back for order."""
    now = timezone.now()
    due = OutboxEvent.objects.filter(sent_at__isnull=True).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    rows = list(due.order_by("created_at")[:batch_size])
    if not rows:
        return [], 0
    picked = {row.pk for row in rows}
    # Older unsent rows of the same aggregates that we did not take (in backoff, or
    # locked by another relay) block the newer ones.
    earliest: dict[tuple[str, str], Any] = {}
    for row in rows:
        earliest.setdefault((row.aggregate_type, row.aggregate_id), row.created_at)
    blocked: set[tuple[str, str]] = set()
    others = (
        OutboxEvent.objects.filter(
            sent_at__isnull=True, aggregate_id__in={key[1] for key in earliest}
        )
        .exclude(pk__in=picked)
        .values_list("aggregate_type", "aggregate_id", "created_at")
    )
    for aggregate_type, aggregate_id, created_at in others:
        first = earliest.get((aggregate_type, aggregate_id))
        if first is not None and created_at < first:
            blocked.add((aggregate_type, aggregate_id))
    sendable = [r for r in rows if (r.aggregate_type, r.aggregate_id) not in blocked]
    return sendable, len(rows) - len(sendable)


def _produce(producer: Any, row: OutboxEvent, delivered: Any) -> None:
    event_id = str(row.pk)
    kwargs = {
        "key": row.aggregate_id.encode(),
        "value": json.dumps(envelope_of(row), ensure_ascii=False).encode(),
        "headers": {"content-type": "application/cloudevents+json; charset=UTF-8"},
        "on_delivery": lambda err, msg: delivered(err, msg, event_id),
    }
    try:
        producer.produce(topic_for(row.aggregate_type), **kwargs)
    except BufferError:
        producer.poll(1)  # the local queue is full: let deliveries drain, then once more
        producer.produce(topic_for(row.aggregate_type), **kwargs)
    producer.poll(0)


def relay_once(*, producer: Any | None = None, batch_size: int = 1000) -> RelayResult:
    """One pass of the relay; ``producer`` is reused by a loop (made here otherwise)."""
    if not kafka_enabled():
        return RelayResult(embedded=True)
    result = RelayResult()
    with transaction.atomic():
        rows, result.held = _pick(batch_size)
        if not rows:
            return result
        producer = producer or producer_create()
        outcome: dict[str, str | None] = {}

        def delivered(err: Any, msg: Any, event_id: str) -> None:
            outcome[event_id] = None if err is None else str(err)

        for row in rows:
            _produce(producer, row, delivered)
        # Waits for every acknowledgement, or message.timeout.ms (each then fails).
        producer.flush(settings.KAFKA_DELIVERY_TIMEOUT_SECONDS + 5)
        now = timezone.now()
        sent_ids = [
            row.pk for row in rows if str(row.pk) in outcome and outcome[str(row.pk)] is None
        ]
        OutboxEvent.objects.filter(pk__in=sent_ids).update(sent_at=now, last_error="")
        result.sent = len(sent_ids)
        for row in rows:
            if row.pk in sent_ids:
                continue
            error = outcome.get(str(row.pk)) or "no acknowledgement from the brokers"
            row.attempts += 1
            row.next_attempt_at = now + backoff(row.attempts)
            row.last_error = error[:2000]
            row.save(update_fields=["attempts", "next_attempt_at", "last_error"])
            result.failed += 1
            if error not in result.errors:
                result.errors.append(error)
    if result.failed:
        logger.warning("outbox relay: %s (%s)", result, "; ".join(result.errors[:3]))
    return result


def relay_until_idle(
    *, producer: Any | None = None, batch_size: int = 1000, max_seconds: float = 60
) -> RelayResult:
    """Passes until nothing more can be sent now (or ``max_seconds``); totals."""
    if not kafka_enabled():
        return RelayResult(embedded=True)
    producer = producer or producer_create()
    total = RelayResult()
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        step = relay_once(producer=producer, batch_size=batch_size)
        total.sent += step.sent
        total.failed += step.failed
        total.held = step.held
        total.errors += [e for e in step.errors if e not in total.errors]
        if step.sent == 0 or step.failed:
            break
    return total
