"""The back office's facts, consumed from Kafka and applied to NOMAD.

Each message is a CloudEvent (structured JSON). It is checked against its schema, then
applied in one transaction together with its ``ProcessedEvent`` row: an event delivered
twice is applied once. Each back-office record (a visit, a prospect) carries a version;
an event older than the version already applied arrived late and changes nothing, so
the events of one record may overtake each other. A message that cannot be applied (bad
JSON, no schema, unknown agency or visit, a change NOMAD's visit flow refuses such as
cancelling a signed visit) is parked in ``DeadLetter`` and the consumer goes on. Visits
change through the visit services (``visit_apply_…``), as NOMAD's own writes do: version,
change log and audit log. Offsets are committed after the messages are applied: a crash
in between re-delivers them, and deduplication absorbs that.

Facts applied here are not published back (no echo): they come from the back office.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.models import ConsumerLag, DeadLetter, InboundVersion, ProcessedEvent
from integrations.publisher import kafka_config, kafka_enabled
from integrations.schemas import SchemaError, schema_validate
from organisation.models import Agency, Role, User
from visits.events import mission_republish_if_changed
from visits.models import Prospect, Visit
from visits.services import (
    TransitionNotAllowed,
    visit_apply_booking,
    visit_apply_cancellation,
    visit_apply_move,
    visit_apply_paper_visit,
)

logger = logging.getLogger(__name__)

INBOUND_TOPICS = ("visits", "prospects", "services")
PROSPECT_KEYS = ("civility", "first_name", "last_name", "email", "phone", "address")
PROSPECT_KEYS_ALL = (*PROSPECT_KEYS, "postal_code", "city")


class InboundError(Exception):
    """A message that cannot be applied as it is: parked in the dead letters."""


def inbound_topics() -> list[str]:
    return [f"{settings.KAFKA_BACKOFFICE_TOPIC_PREFIX}.{name}" for name in INBOUND_TOPICS]


# ---------------------------------------------------------------- look-ups and versions


def _agency(data: dict[str, Any]) -> Agency:
    agency = Agency.objects.filter(backoffice_code=data["agency_code"]).first()
    if agency is None:
        raise InboundError(f"unknown agency {data['agency_code']!r}")
    return agency


def _advisor(agency: Agency, email: str | None) -> User | None:
    """The named advisor if they work in the agency; else the visit stays unassigned."""
    if not email:
        return None
    return (
        User.objects.filter(
            email__iexact=email, role=Role.ADVISOR, memberships__agency=agency, is_active=True
        )
        .distinct()
        .first()
    )


def _when(value: str) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        raise InboundError(f"not a date and time: {value!r}")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _newer(record_type: str, ref: str, version: int) -> bool:
    """Record ``version`` as applied if it is newer than what we have; False if late."""
    row = (
        InboundVersion.objects.select_for_update()
        .filter(record_type=record_type, record_ref=ref)
        .first()
    )
    if row is None:
        InboundVersion.objects.create(record_type=record_type, record_ref=ref, version=version)
        return True
    if version <= row.version:
        return False
    row.version = version
    row.save(update_fields=["version", "updated_at"])
    return True


def _prospect(agency: Agency, data: dict[str, Any], *, overwrite: bool) -> tuple[Prospect, bool]:
    """The prospect of this back-office ref in the agency, created or (if asked) updated."""
    fields = {k: data[k] for k in PROSPECT_KEYS_ALL if k in data}
    prospect = Prospect.objects.filter(agency=agency, backoffice_ref=data["ref"]).first()
    if prospect is None:
        return Prospect.objects.create(agency=agency, backoffice_ref=data["ref"], **fields), True
    changed = [k for k, v in fields.items() if getattr(prospect, k) != v]
    if overwrite and changed:
        for key in changed:
            setattr(prospect, key, fields[key])
        prospect.save(update_fields=[*changed, "updated_at"])
    return prospect, bool(overwrite and changed)


def _visit_by_ref(agency: Agency, ref: str) -> Visit | None:
    return Visit.objects.select_for_update().filter(agency=agency, backoffice_ref=ref).first()


def _refused(what: str, exc: TransitionNotAllowed) -> InboundError:
    """A fact that would break NOMAD's visit flow: parked for a person to reconcile."""
    return InboundError(f"{what} refused: {exc}")


# ---------------------------------------------------------------- handlers


def _visit_booked(data: dict[str, Any]) -> str:
    """Scheduled or rescheduled: both carry the whole booking."""
    agency = _agency(data)
    if not _newer("visit", data["visit_ref"], data["version"]):
        return "stale"
    advisor = _advisor(agency, data.get("advisor_email"))
    when = _when(data["scheduled_at"])
    visit = _visit_by_ref(agency, data["visit_ref"])
    if visit is None:
        prospect, _ = _prospect(agency, data["prospect"], overwrite=False)
        visit_apply_booking(
            agency=agency,
            prospect=prospect,
            backoffice_ref=data["visit_ref"],
            advisor=advisor,
            scheduled_at=when,
            duration_minutes=data.get("duration_minutes", 60),
            activities=data["activities"],
        )
        return "applied"
    visit_apply_move(
        visit=visit,
        scheduled_at=when,
        duration_minutes=data.get("duration_minutes", visit.duration_minutes),
        advisor=advisor,
        activities=data["activities"],
    )
    return "applied"


def _visit_cancelled(data: dict[str, Any]) -> str:
    agency = _agency(data)
    if not _newer("visit", data["visit_ref"], data["version"]):
        return "stale"
    visit = _visit_by_ref(agency, data["visit_ref"])
    if visit is None:
        return "ignored"  # cancelled before it reached us: the version keeps it cancelled
    try:
        cancelled = visit_apply_cancellation(visit=visit, reason=str(data.get("reason") or ""))
    except TransitionNotAllowed as exc:
        # Estimated, quoted, signed or lost in NOMAD: NOMAD's facts stand, and a person
        # sees the disagreement in the dead letters.
        raise _refused("cancellation", exc) from exc
    return "ignored" if cancelled is None else "applied"


def _visit_on_paper(data: dict[str, Any]) -> str:
    agency = _agency(data)
    if not _newer("visit", data["visit_ref"], data["version"]):
        return "stale"
    advisor = _advisor(agency, data.get("advisor_email"))
    prospect, _ = _prospect(agency, data["prospect"], overwrite=False)
    visit_apply_paper_visit(
        visit=_visit_by_ref(agency, data["visit_ref"]),
        agency=agency,
        prospect=prospect,
        backoffice_ref=data["visit_ref"],
        advisor=advisor,
        visited_at=_when(data["visited_at"]),
        activities=data["activities"],
        outcome=data["outcome"],
        minutes_per_week=data.get("minutes_per_week"),
    )
    return "applied"


def _prospect_upsert(data: dict[str, Any]) -> str:
    agency = _agency(data)
    if not _newer("prospect", data["prospect"]["ref"], data["version"]):
        return "stale"
    prospect, changed = _prospect(agency, data["prospect"], overwrite=True)
    if changed:
        # The address or the phone on a signed visit's mission sheet may have changed.
        for visit in prospect.visits.all():
            mission_republish_if_changed(visit=visit)
    return "applied"


def _service_started(data: dict[str, Any]) -> str:
    agency = _agency(data)
    visits = Visit.objects.select_for_update().filter(agency=agency)
    visit = None
    if data.get("visit_id"):
        try:
            visit = visits.filter(uuid=uuid.UUID(data["visit_id"])).first()
        except ValueError as exc:
            raise InboundError(f"not a visit id: {data['visit_id']!r}") from exc
    if visit is None and data.get("visit_ref"):
        visit = visits.filter(backoffice_ref=data["visit_ref"]).first()
    if visit is None:
        # Perhaps the booking has not reached us yet: parked, to retry from the admin.
        raise InboundError("service started for a visit NOMAD does not know")
    if not _newer("service", str(visit.uuid), data["version"]):
        return "stale"
    visit.service_started_at = _when(data["started_at"])
    visit.save(update_fields=["service_started_at", "updated_at"])
    return "applied"


HANDLERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "backoffice.visit.scheduled": _visit_booked,
    "backoffice.visit.rescheduled": _visit_booked,
    "backoffice.visit.cancelled": _visit_cancelled,
    "backoffice.visit.recorded_on_paper": _visit_on_paper,
    "backoffice.prospect.created": _prospect_upsert,
    "backoffice.prospect.updated": _prospect_upsert,
    "backoffice.service.started": _service_started,
}


# ---------------------------------------------------------------- applying one message


def event_apply(*, raw: bytes | str) -> str:
    """Apply one message; its outcome: applied, duplicate, stale or ignored.

    Raises ``InboundError`` (or ``SchemaError``) for a message that cannot be applied.
    """
    try:
        envelope = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InboundError(f"not JSON: {exc}") from exc
    if not isinstance(envelope, dict):
        raise InboundError("not a CloudEvent: a JSON object is expected")
    schema_validate(envelope)
    handler = HANDLERS.get(envelope["type"])
    if handler is None:
        raise InboundError(f"NOMAD does not consume {envelope['type']!r}")
    event_id = f"{envelope['source']}:{envelope['id']}"
    if ProcessedEvent.objects.filter(event_id=event_id).exists():
        return "duplicate"
    try:
        with transaction.atomic():
            outcome = handler(envelope["data"])
            ProcessedEvent.objects.create(event_id=event_id, type=envelope["type"], outcome=outcome)
    except IntegrityError:
        if ProcessedEvent.objects.filter(event_id=event_id).exists():
            return "duplicate"  # another consumer applied it at the same moment
        raise
    return outcome


def message_handle(
    *, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None
) -> str:
    """Apply a message or park it; never raises for a bad message (only if the DB is down)."""
    raw = value or b""
    try:
        return event_apply(raw=raw)
    except (OperationalError, InterfaceError):
        raise  # the database, not the message: stop and come back later
    except (InboundError, SchemaError) as exc:
        error = str(exc)
    except Exception as exc:
        logger.exception("back-office message %s[%s]@%s failed", topic, partition, offset)
        error = f"{type(exc).__name__}: {exc}"
    DeadLetter.objects.create(
        topic=topic,
        partition=partition,
        offset=offset,
        key=(key or b"").decode("utf-8", "replace")[:200],
        value=raw.decode("utf-8", "replace"),
        error=error[:5000],
    )
    logger.warning("back-office message %s[%s]@%s parked: %s", topic, partition, offset, error)
    return "dead"


def dead_letter_retry(*, letter: DeadLetter) -> bool:
    """Apply a parked message again; True when it went through this time."""
    letter.retried_at = timezone.now()
    try:
        event_apply(raw=letter.value)
    except (InboundError, SchemaError) as exc:
        letter.error = str(exc)[:5000]
        letter.save(update_fields=["retried_at", "error"])
        return False
    letter.resolved = True
    letter.save(update_fields=["retried_at", "resolved"])
    return True


# ---------------------------------------------------------------- the Kafka loop

#: How often the loop measures its lag for the metrics (also while idle).
LAG_EVERY_SECONDS = 15.0
#: How long one lag measurement may wait for the brokers.
LAG_TIMEOUT_SECONDS = 5.0


def consumer_lag_record(*, consumer: Any) -> list[ConsumerLag]:
    """Measure the group's lag on every partition assigned to ``consumer`` and store it.

    Lag = the partition's high watermark less the group's committed offset (less its low
    watermark when the group has committed nothing there yet). It is stored in the
    database because the web's ``/metrics`` answers from other processes (gunicorn
    workers) that hold no consumer: that way the lag is exposed behind the same token as
    every other metric, by whichever worker is scraped, and a stopped consumer shows as a
    growing ``nomad_consumer_lag_age_seconds`` rather than as a target gone missing."""
    assignment = consumer.assignment()
    if not assignment:
        return []
    committed = consumer.committed(assignment, timeout=LAG_TIMEOUT_SECONDS)
    now = timezone.now()
    rows = []
    for tp in committed:
        low, high = consumer.get_watermark_offsets(tp, timeout=LAG_TIMEOUT_SECONDS, cached=False)
        done = tp.offset if tp.offset >= 0 else None  # negative: nothing committed yet
        lag = max(high - (low if done is None else done), 0)
        row, _ = ConsumerLag.objects.update_or_create(
            topic=tp.topic,
            partition=tp.partition,
            defaults={"committed": done, "high_watermark": high, "lag": lag, "measured_at": now},
        )
        rows.append(row)
    return rows


def _lag_record_safely(consumer: Any) -> bool:
    """Whether the lag was measured (False before the group assigned any partition). A
    failed measurement is logged and tried again at the next period: messages come first."""
    try:
        return bool(consumer_lag_record(consumer=consumer))
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        logger.warning("back-office consumer: lag not measured", exc_info=True)
        return True  # not again at once: at the next period


@dataclass
class ConsumeResult:
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    def __str__(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return f"{self.total} messages" + (f" ({parts})" if parts else "")


def consumer_create(*, group: str | None = None) -> Any:
    from confluent_kafka import Consumer

    config = kafka_config(
        **{
            "group.id": group or settings.KAFKA_CONSUMER_GROUP,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    if settings.KAFKA_GROUP_PROTOCOL != "classic":
        config["group.protocol"] = settings.KAFKA_GROUP_PROTOCOL
    consumer = Consumer(config)
    consumer.subscribe(inbound_topics())
    return consumer


def consume(
    *,
    consumer: Any | None = None,
    max_messages: int | None = None,
    idle_seconds: float | None = None,
    poll_seconds: float = 1.0,
    should_stop: Callable[[], bool] = lambda: False,
) -> ConsumeResult:
    """Consume and apply until ``max_messages``, ``idle_seconds`` without a message, or
    ``should_stop()``. Offsets are committed after each batch is applied."""
    if not kafka_enabled():
        raise InboundError("KAFKA_BOOTSTRAP_SERVERS is not set: there is no back office to hear")
    from confluent_kafka import KafkaError

    own = consumer is None
    consumer = consumer or consumer_create()
    result = ConsumeResult()
    last_message = time.monotonic()
    last_lag = 0.0  # measured at the first batch, or the first idle poll
    try:
        while not should_stop():
            if max_messages is not None and result.total >= max_messages:
                break
            if idle_seconds is not None and time.monotonic() - last_message > idle_seconds:
                break
            room = 100 if max_messages is None else min(100, max_messages - result.total)
            messages = consumer.consume(num_messages=room, timeout=poll_seconds)
            applied = False
            for message in messages:
                error = message.error()
                if error is not None:
                    if error.code() != KafkaError._PARTITION_EOF:
                        logger.warning("back-office consumer: %s", error)
                    continue
                outcome = message_handle(
                    topic=message.topic(),
                    partition=message.partition(),
                    offset=message.offset(),
                    key=message.key(),
                    value=message.value(),
                )
                result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
                applied = True
            if applied:
                last_message = time.monotonic()
                consumer.commit(asynchronous=False)
            if time.monotonic() - last_lag >= LAG_EVERY_SECONDS and _lag_record_safely(consumer):
                last_lag = time.monotonic()
        _lag_record_safely(consumer)  # where it stopped (a --once run, a shutdown)
    finally:
        if own:
            consumer.close()
    return result
