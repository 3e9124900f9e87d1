"""Reads about the bus, for the managers' dashboard (``dashboard/bus.py`` asks here)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Min, Q
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from integrations.models import DeadLetter, OutboxEvent, ProcessedEvent


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
