"""Reads about the bus, for the managers' dashboard (``dashboard/bus.py`` asks here) and
the metrics (``nomad_web/metrics.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from integrations.models import ConsumerLag, DeadLetter, OutboxEvent, ProcessedEvent


def _when(value: Any) -> str:
    return date_format(localtime(value), "SHORT_DATETIME_FORMAT") if value else "—"


def bus_health() -> dict[str, Any]:
    """Outbox and consumer figures, labelled for people, in three aggregate queries."""
    outbox = OutboxEvent.objects.aggregate(
        pending=Count("pk", filter=Q(sent_at__isnull=True)),
        failing=Count("pk", filter=Q(sent_at__isnull=True, attempts__gt=0)),
        oldest_pending=Min("created_at", filter=Q(sent_at__isnull=True)),
        last_sent=Max("sent_at"),
    )
    dead = DeadLetter.objects.aggregate(open=Count("pk", filter=Q(resolved=False)))
    inbound = ProcessedEvent.objects.aggregate(last=Max("processed_at"))
    return {
        _("Events waiting to be sent"): outbox["pending"],
        _("of which failing"): outbox["failing"],
        _("Oldest waiting since"): _when(outbox["oldest_pending"]),
        _("Last event sent"): _when(outbox["last_sent"]),
        _("Back-office messages parked (dead letters)"): dead["open"],
        _("Last back-office message applied"): _when(inbound["last"]),
    }


# ---------------------------------------------------------------- for the metrics


def outbox_backlog() -> tuple[int, float]:
    """(events not yet published, age in seconds of the oldest of them; 0 when none).

    One aggregate over the partial index of unsent rows (``outbox_unsent``)."""
    row = OutboxEvent.objects.filter(sent_at__isnull=True).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    oldest = row["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return row["count"], max(age, 0.0)


def dead_letters_open() -> int:
    """Dead letters not resolved (the partial index ``dead_letter_open``)."""
    return DeadLetter.objects.filter(resolved=False).count()


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    lag: int
    age_seconds: float


def consumer_lags() -> list[PartitionLag]:
    """The lag of every partition the consumer measured, and how long ago it did."""
    now = timezone.now()
    return [
        PartitionLag(
            topic=row.topic,
            partition=row.partition,
            lag=row.lag,
            age_seconds=max((now - row.measured_at).total_seconds(), 0.0),
        )
        for row in ConsumerLag.objects.all()
    ]
