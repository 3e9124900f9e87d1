"""The summary table of the dashboard (``MonthlyFigures``): which months it serves, and its rebuild.

Why a table rebuilt by a periodic job, and not counters kept by the services: a figure
moves with many writes (the advisor's steps, the paper visits imported from the back
office, a signature arriving from Yousign days later, a service start reported over
Kafka, an edit in the admin), some of them ``update()`` calls that no signal sees. A
counter missed by one of them would be wrong for good; a rebuild from the source tables
is right by construction, and the next one repairs whatever happened. It is PostgreSQL and
SQLite alike (a materialised view would be PostgreSQL only, and the embedded mode runs on
SQLite). The price is freshness: whole months may lag by ``DASHBOARD_SUMMARY_EVERY_SECONDS``
(5 minutes by default), and the page says as of when. The current month, and any part
month of a period, is always read live from the source tables.

The rebuild covers the whole months of the last ``MAX_PERIOD_DAYS`` (the longest period
the dashboard offers) and replaces the table in one transaction: readers see the old
figures until it commits, then the new ones.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import TruncMonth
from django.utils import timezone

from dashboard import figures
from dashboard.filters import MAX_PERIOD_DAYS
from dashboard.models import ALL_ACTIVITIES, MonthlyFigures, SummaryState
from nomad_web.leases import exclusive
from quotes.models import Contract, QuoteStatus
from visits.models import Activity, Visit

BATCH = 2000


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Sources:
    """Where a period's figures come from."""

    #: Whole months ``[first, end)`` read from ``MonthlyFigures``, or None.
    months: tuple[date, date] | None
    #: Day ranges ``[start, end)`` read from the visits, quotes and contracts.
    days: list[tuple[date, date]]
    #: When the summary table was last rebuilt (None when it is not read).
    refreshed_at: datetime | None
    #: The rebuild that gave the months (its figures change only with the next one).
    state_id: int | None = None
    #: The agencies whose summarised figures are read: "all", or their ids.
    scope: str = ""


def summary_state() -> SummaryState | None:
    return SummaryState.objects.order_by("-pk").first()


def period_sources(start: date, end: date) -> Sources:
    """Split the days ``[start, end)`` between the summary table and the source tables."""
    state = summary_state()
    if state is None:
        return Sources(months=None, days=[(start, end)], refreshed_at=None)
    first = max(start if start.day == 1 else next_month(start), state.first_month)
    last = min(month_start(end), next_month(state.last_month))
    if first >= last:
        return Sources(months=None, days=[(start, end)], refreshed_at=None)
    days = [(a, b) for a, b in ((start, first), (last, end)) if a < b]
    return Sources(
        months=(first, last), days=days, refreshed_at=state.refreshed_at, state_id=state.pk
    )


def summaries_refresh(*, today: date | None = None) -> SummaryState | None:
    """Rebuild ``MonthlyFigures`` for the whole months of the last ``MAX_PERIOD_DAYS``;
    None when another node is rebuilding it right now (``nomad_web.leases``)."""
    with exclusive("refresh-dashboard-summaries") as held:
        return _refresh(today) if held else None


def _refresh(today: date | None) -> SummaryState:
    started = time.perf_counter()
    today = today or timezone.localdate()
    end = month_start(today)  # the current month is read live, never summarised
    first = next_month(month_start(today - timedelta(days=MAX_PERIOD_DAYS)))
    rows = _build(first, end)
    with transaction.atomic():
        MonthlyFigures.objects.all().delete()
        MonthlyFigures.objects.bulk_create(rows, batch_size=BATCH)
        SummaryState.objects.all().delete()
        state = SummaryState.objects.create(
            first_month=first,
            last_month=end - timedelta(days=1),
            refreshed_at=timezone.now(),
            seconds=time.perf_counter() - started,
            rows=len(rows),
        )
    return state


Key = tuple[str, date, int, int, int | None]  # activity, month, agency, brand, advisor
#: The names a row's bucket is read under (not the fields' own, which values() refuses).
BUCKET = ("b_month", "b_agency", "b_brand", "b_advisor")


def _bucket(prefix: str = "") -> dict[str, Any]:
    """Month, agency, brand and advisor of the visit at ``prefix``: a row's bucket."""
    return {
        "b_month": TruncMonth(f"{prefix}scheduled_at"),
        "b_agency": F(f"{prefix}agency_id"),
        "b_brand": F(f"{prefix}agency__brand_id"),
        "b_advisor": F(f"{prefix}advisor_id"),
    }


def _key(activity: str, month: date | datetime, *rest: Any) -> Key:
    return (activity, figures.as_date(month), *rest)


def _build(first: date, end: date) -> list[MonthlyFigures]:
    between = figures.days_q([(first, end)])
    contracts_between = figures.days_q([(first, end)], prefix="quote__visit__")
    rows: dict[Key, MonthlyFigures] = {}

    def row(key: Key) -> MonthlyFigures:
        found = rows.get(key)
        if found is None:
            activity, month, agency, brand, advisor = key
            found = rows[key] = MonthlyFigures(
                activity=activity, month=month, agency_id=agency, brand_id=brand, advisor_id=advisor
            )
        return found

    for activity in [ALL_ACTIVITIES, *Activity.values]:
        visits = Visit.objects.filter(between)
        contracts = Contract.objects.filter(contracts_between, quote__status=QuoteStatus.SIGNED)
        if activity:
            visits = visits.filter(figures.activity_q(activity))
            contracts = contracts.filter(figures.activity_q(activity, "quote__visit__"))
        grouped = (
            (
                visits.values(**_bucket()),
                {**figures.visit_counts(), **figures.visit_minutes()},
                figures.VISIT_FIELDS,
            ),
            (
                contracts.values(**_bucket("quote__visit__")),
                figures.contract_sums(),
                figures.CONTRACT_FIELDS,
            ),
        )
        for queryset, aggregates, names in grouped:
            for r in queryset.annotate(**aggregates):
                target = row(_key(activity, *(r[name] for name in BUCKET)))
                for name in names:
                    setattr(target, name, r[name] or 0)

    # The delays, one value per signed contract, into the row of each of its activities.
    delays: dict[Key, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    signed = Contract.objects.filter(
        contracts_between, quote__status=QuoteStatus.SIGNED, quote__status_changed_at__isnull=False
    )
    for *bucket, activities, to_signature, to_start in (
        signed.annotate(
            **_bucket("quote__visit__"),
            to_signature=figures.TO_SIGNATURE,
            to_start=figures.TO_START,
        )
        .values_list(*BUCKET, "quote__visit__activities", "to_signature", "to_start")
        .iterator(chunk_size=5000)
    ):
        for activity in [ALL_ACTIVITIES, *(a for a in activities or [] if a in Activity.values)]:
            lists = delays[_key(activity, *bucket)]
            lists[0].append(figures.microseconds(to_signature))
            if to_start is not None:
                lists[1].append(figures.microseconds(to_start))
    for key, (to_signature_list, to_start_list) in delays.items():
        target = row(key)
        target.to_signature = figures.delays_text(to_signature_list)
        target.to_start = figures.delays_text(to_start_list)
    return list(rows.values())
