"""The dashboard's figures as aggregate expressions, written once.

Both the live reads (``dashboard.selectors``, on visits, quotes and contracts) and the
rebuild of the summary table (``dashboard.summaries``) use these, so a figure cannot be
defined two ways. Names are those of ``MonthlyFigures``' columns (none is the name of a
field of the visit, which an annotation may not take).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Sum,
    TextField,
    Value,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from visits.models import Activity, Channel, VisitStatus

#: Most quotes carry one line per activity; three covers every activity priced today.
MAX_QUOTE_LINES = 3
#: When the service really started, as the back office reports it (integrations).
SERVICE_START_FIELD = "quote__visit__service_started_at"

VISIT_FIELDS = (
    "total",
    "held",
    "app",
    "paper",
    *(f"status_{s}" for s in VisitStatus.values),
    *(f"activity_{a}" for a in Activity.values),
    "minutes_estimated",
    "minutes_proposed",
)
CONTRACT_FIELDS = ("signed_visits", "minutes_contracted", "minutes_estimated_signed")

#: Visit → signature and signature → service start, on a signed contract.
TO_SIGNATURE = ExpressionWrapper(
    F("quote__status_changed_at") - F("quote__visit__scheduled_at"), DurationField()
)
TO_START = ExpressionWrapper(
    F(SERVICE_START_FIELD) - F("quote__status_changed_at"), DurationField()
)


def as_date(value: date | datetime) -> date:
    """A month from ``TruncMonth``: a datetime on PostgreSQL, a date on SQLite."""
    return value.date() if isinstance(value, datetime) else value


def aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def days_q(ranges: Iterable[tuple[date, date]], prefix: str = "") -> Q:
    """Visits scheduled in any of the local-day ranges ``[start, end)``."""
    field = f"{prefix}scheduled_at"
    q = Q(pk__in=[])  # no range: nothing (Django answers it without a query)
    for start, end in ranges:
        q |= Q(**{f"{field}__gte": aware(start), f"{field}__lt": aware(end)})
    return q


def activity_q(activity: str, prefix: str = "") -> Q:
    """Rows whose ``activities`` list holds ``activity``.

    PostgreSQL answers ``@>`` on jsonb; SQLite has no JSON containment, so there the
    list's text is matched with its quotes (``"gardening"``), which only the element
    itself can match.
    """
    field = f"{prefix}activities"
    if connection.features.supports_json_field_contains:
        return Q(**{f"{field}__contains": [activity]})
    return Q(**{f"{field}__icontains": f'"{activity}"'})


def visit_counts() -> dict[str, Any]:
    """Counts of visits: all, held, captured in the app or on paper, by status, by activity.

    *Held*: neither cancelled nor still scheduled. *Captured* (app, paper): not cancelled.
    """
    not_held = Q(status__in=[VisitStatus.CANCELLED, VisitStatus.SCHEDULED])
    captured = ~Q(status=VisitStatus.CANCELLED)
    return {
        "total": Count("pk"),
        "held": Count("pk", filter=~not_held),
        "app": Count("pk", filter=captured & Q(channel=Channel.APP)),
        "paper": Count("pk", filter=captured & Q(channel=Channel.PAPER)),
        **{f"status_{s}": Count("pk", filter=Q(status=s)) for s in VisitStatus.values},
        **{f"activity_{a}": Count("pk", filter=activity_q(a)) for a in Activity.values},
    }


def visit_minutes() -> dict[str, Any]:
    """Estimated and proposed minutes per week, over the visits that have an estimate."""
    with_estimate = Q(estimated_minutes__isnull=False)
    return {
        "minutes_estimated": Coalesce(Sum("estimated_minutes", filter=with_estimate), 0),
        "minutes_proposed": Coalesce(
            Sum(Coalesce("proposed_minutes", "estimated_minutes"), filter=with_estimate), 0
        ),
    }


def _contracted_minutes() -> Any:
    """Minutes per week on a quote: the sum of its lines' ``minutes_per_week``."""
    return sum(
        (
            Coalesce(
                Cast(
                    KeyTextTransform(
                        "minutes_per_week",
                        KeyTransform(str(i), KeyTransform("lines", "quote__figures")),
                    ),
                    IntegerField(),
                ),
                Value(0),
            )
            for i in range(MAX_QUOTE_LINES)
        ),
        start=Value(0),
    )


def contract_sums() -> dict[str, Any]:
    """Over signed contracts: the visits signed, the hours signed, those visits' estimate."""
    return {
        "signed_visits": Count("quote__visit", distinct=True),
        "minutes_contracted": Sum(_contracted_minutes()),
        "minutes_estimated_signed": Sum("quote__visit__estimated_minutes"),
    }


def microseconds(delay: timedelta) -> int:
    return delay // timedelta(microseconds=1)


class JoinedText(Aggregate):
    """The rows' texts joined with commas, in one value (``string_agg``/``group_concat``)."""

    function = "string_agg"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="group_concat", **extra)


def delays_text(values: list[int]) -> str:
    """Durations in microseconds as the summary table keeps them: sorted, comma-separated."""
    return ",".join(map(str, sorted(values)))


def delays_from_text(text: str) -> list[int]:
    return list(map(int, text.split(","))) if text else []


def median(values: list[int]) -> timedelta | None:
    """The median of durations in microseconds, as PostgreSQL's ``percentile_cont(0.5)``."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return timedelta(microseconds=ordered[middle])
    return timedelta(microseconds=(ordered[middle - 1] + ordered[middle]) / 2)
