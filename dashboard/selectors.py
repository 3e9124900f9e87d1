"""Every figure of the dashboard, each one aggregate query in the database.

Nothing here loops over visits in Python: a figure is a ``COUNT``/``SUM`` with filters,
grouped where needed, so the number of queries a page makes does not depend on the
amount of data (tests assert it). Every query starts from ``for_user``: a manager's
figures are those of their agencies, staff see the whole network.

Definitions (the issue left them open; they are written here once):

* A visit belongs to the period by its ``scheduled_at`` (local days, end day included).
* A **signed contract** is a contract whose quote is signed; its signature time is the
  quote's ``status_changed_at`` (the moment it became signed).
* **Conversion** = visits with a signed contract / visits that took place (neither
  cancelled nor still scheduled).
* **Adoption** = visits captured in the app / visits captured (app or paper), cancelled
  ones left out since they were captured nowhere.
* **Contracted hours** are read from the signed quote's lines (``figures.lines[*]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django.utils import timezone

from dashboard.filters import DashboardFilters, period_bounds
from nomad_web.sweeps import signed_without_documents
from organisation.models import User
from quotes.models import Contract, Quote, QuoteStatus
from visits.models import Activity, Channel, Conflict, Visit, VisitStatus

#: Most quotes carry one line per activity; three covers every activity priced today.
MAX_QUOTE_LINES = 3
#: How many advisors the per-advisor panels show (the busiest first).
TOP_ADVISORS = 15
#: How many rows the short lists (expiring quotes, open conflicts) show.
SHORT_LIST = 10
#: When the service really started, as the back office reports it (integrations).
SERVICE_START_FIELD = "quote__visit__service_started_at"


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``; works on numbers and on intervals."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _activity_q(activity: str, prefix: str = "") -> Q:
    """Rows whose ``activities`` list holds ``activity``.

    PostgreSQL answers ``@>`` on jsonb; SQLite has no JSON containment, so there the
    list's text is matched with its quotes (``"gardening"``), which only the element
    itself can match.
    """
    field = f"{prefix}activities"
    if connection.features.supports_json_field_contains:
        return Q(**{f"{field}__contains": [activity]})
    return Q(**{f"{field}__icontains": f'"{activity}"'})


def _scope(queryset: QuerySet[Any], filters: DashboardFilters, prefix: str = "") -> QuerySet[Any]:
    """Agency, brand, advisor and activity filters, on visits or on what hangs off them."""
    if filters.agency is not None:
        queryset = queryset.filter(**{f"{prefix}agency": filters.agency})
    if filters.brand is not None:
        queryset = queryset.filter(**{f"{prefix}agency__brand": filters.brand})
    if filters.advisor is not None:
        queryset = queryset.filter(**{f"{prefix}advisor": filters.advisor})
    if filters.activity:
        queryset = queryset.filter(_activity_q(filters.activity, prefix))
    return queryset


def visits_for(*, user: User, filters: DashboardFilters) -> QuerySet[Visit]:
    """The visits of the period that the person may see, filtered."""
    start, end = period_bounds(filters)
    visits = Visit.objects.for_user(user).filter(
        scheduled_at__gte=_aware(start), scheduled_at__lt=_aware(end)
    )
    return _scope(visits, filters)


def signed_contracts_for(*, user: User, filters: DashboardFilters) -> QuerySet[Contract]:
    """Signed contracts of the visits ``visits_for`` gives, filtered on the same joins.

    The visit filters are repeated on the contract's joined visit rather than written
    ``visit IN (subquery)``: PostgreSQL then plans one hash join over the year.
    """
    start, end = period_bounds(filters)
    contracts = Contract.objects.for_user(user).filter(
        quote__status=QuoteStatus.SIGNED,
        quote__visit__scheduled_at__gte=_aware(start),
        quote__visit__scheduled_at__lt=_aware(end),
    )
    return _scope(contracts, filters, prefix="quote__visit__")


# --- Visits: by status, by activity, conversion (one query) -------------------------


@dataclass(frozen=True)
class Overview:
    total: int
    by_status: dict[str, int]
    by_activity: dict[str, int]
    held: int
    signed_contracts: int
    app: int
    paper: int

    @property
    def conversion(self) -> float | None:
        return self.signed_contracts / self.held if self.held else None

    @property
    def adoption(self) -> float | None:
        captured = self.app + self.paper
        return self.app / captured if captured else None


def visit_overview(*, user: User, filters: DashboardFilters) -> Overview:
    visits = visits_for(user=user, filters=filters)
    not_held = Q(status__in=[VisitStatus.CANCELLED, VisitStatus.SCHEDULED])
    captured = ~Q(status=VisitStatus.CANCELLED)
    row = visits.aggregate(
        total=Count("pk"),
        held=Count("pk", filter=~not_held),
        app=Count("pk", filter=captured & Q(channel=Channel.APP)),
        paper=Count("pk", filter=captured & Q(channel=Channel.PAPER)),
        **{f"status_{s.value}": Count("pk", filter=Q(status=s)) for s in VisitStatus},
        **{f"activity_{a.value}": Count("pk", filter=_activity_q(a.value)) for a in Activity},
    )
    # A correlated EXISTS per visit costs a subplan per row at network scale; counting
    # from the contracts' side is one join (second query).
    signed = signed_contracts_for(user=user, filters=filters).aggregate(
        n=Count("quote__visit", distinct=True)
    )["n"]
    return Overview(
        total=row["total"],
        by_status={s.value: row[f"status_{s.value}"] for s in VisitStatus},
        by_activity={a.value: row[f"activity_{a.value}"] for a in Activity},
        held=row["held"],
        signed_contracts=signed,
        app=row["app"],
        paper=row["paper"],
    )


# --- Adoption of the app, month by month (one query) --------------------------------


@dataclass(frozen=True)
class MonthAdoption:
    month: date
    app: int
    paper: int

    @property
    def rate(self) -> float | None:
        total = self.app + self.paper
        return self.app / total if total else None


def adoption_by_month(*, user: User, filters: DashboardFilters) -> list[MonthAdoption]:
    rows = (
        visits_for(user=user, filters=filters)
        .exclude(status=VisitStatus.CANCELLED)
        .annotate(month=TruncMonth("scheduled_at"))
        .values("month")
        .annotate(
            app=Count("pk", filter=Q(channel=Channel.APP)),
            paper=Count("pk", filter=Q(channel=Channel.PAPER)),
        )
        .order_by("month")
    )
    return [
        MonthAdoption(
            month=r["month"].date() if isinstance(r["month"], datetime) else r["month"],
            app=r["app"],
            paper=r["paper"],
        )
        for r in rows
    ]


# --- Per advisor: visits, signatures and hours (one query, plus one for contracts) ---


@dataclass(frozen=True)
class AdvisorFigures:
    advisor_id: int | None
    name: str
    visits: int
    signed: int
    estimated_minutes: int
    proposed_minutes: int
    contracted_minutes: int
    #: Estimated minutes of the visits that ended in a signed contract only.
    estimated_signed_minutes: int

    @property
    def proposed_vs_estimated(self) -> float | None:
        """Proposed over estimated hours: 1.0 when the advisor kept the estimate."""
        if not self.estimated_minutes:
            return None
        return self.proposed_minutes / self.estimated_minutes

    @property
    def contracted_vs_estimated(self) -> float | None:
        """How far the signed hours are from the estimate, on the same (signed) visits."""
        if not self.estimated_signed_minutes:
            return None
        return self.contracted_minutes / self.estimated_signed_minutes


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


def advisor_figures(
    *, user: User, filters: DashboardFilters, limit: int = TOP_ADVISORS
) -> list[AdvisorFigures]:
    """The busiest advisors of the period with their hours: estimated, proposed, contracted.

    Two queries: the visits grouped by advisor, then the signed contracts of the same
    visits grouped the same way (contracts, signed visits, contracted minutes and the
    estimate of those visits, so that both sides of the accuracy ratio cover the same
    visits).
    """
    visits = visits_for(user=user, filters=filters)
    with_estimate = Q(estimated_minutes__isnull=False)
    rows = list(
        visits.values("advisor_id", "advisor__first_name", "advisor__last_name", "advisor__email")
        .annotate(
            n=Count("pk"),
            estimated=Coalesce(Sum("estimated_minutes", filter=with_estimate), 0),
            proposed=Coalesce(
                Sum(Coalesce("proposed_minutes", "estimated_minutes"), filter=with_estimate), 0
            ),
        )
        .order_by("-n", "advisor__last_name", "advisor_id")[:limit]
    )
    advisor_ids = [r["advisor_id"] for r in rows]
    among = Q(quote__visit__advisor_id__in=[pk for pk in advisor_ids if pk is not None])
    if None in advisor_ids:
        among |= Q(quote__visit__advisor_id__isnull=True)
    signed = {
        r["quote__visit__advisor_id"]: r
        for r in signed_contracts_for(user=user, filters=filters)
        .filter(among)
        .values("quote__visit__advisor_id")
        .annotate(
            visits=Count("quote__visit", distinct=True),
            minutes=Sum(_contracted_minutes()),
            estimated=Sum("quote__visit__estimated_minutes"),
        )
    }
    none: dict[str, int] = {}
    return [
        AdvisorFigures(
            advisor_id=r["advisor_id"],
            name=(
                f"{r['advisor__first_name']} {r['advisor__last_name']}".strip()
                or (r["advisor__email"] or "")
            ),
            visits=r["n"],
            signed=signed.get(r["advisor_id"], none).get("visits") or 0,
            estimated_minutes=r["estimated"],
            proposed_minutes=r["proposed"],
            contracted_minutes=signed.get(r["advisor_id"], none).get("minutes") or 0,
            estimated_signed_minutes=signed.get(r["advisor_id"], none).get("estimated") or 0,
        )
        for r in rows
    ]


# --- Delays: visit → signature, signature → service start ---------------------------


@dataclass(frozen=True)
class Delays:
    visit_to_signature: timedelta | None
    signature_to_start: timedelta | None


def _median_duration(contracts: QuerySet[Contract], expression: Any) -> timedelta | None:
    """The median of ``expression`` (a duration) over ``contracts``.

    PostgreSQL computes it in one query with ``percentile_cont``. SQLite has no
    percentile function: there the middle one or two values are fetched in order
    (a count, then at most two rows), which is exact and still bounded.
    """
    annotated = contracts.annotate(delay=ExpressionWrapper(expression, DurationField()))
    if connection.vendor == "postgresql":
        result: timedelta | None = annotated.aggregate(m=Median("delay"))["m"]
        return result
    count = annotated.count()
    if not count:
        return None
    middle = list(
        annotated.order_by("delay").values_list("delay", flat=True)[
            (count - 1) // 2 : count // 2 + 1
        ]
    )
    return sum(middle, timedelta()) / len(middle)


def delays(*, user: User, filters: DashboardFilters) -> Delays:
    contracts = signed_contracts_for(user=user, filters=filters).filter(
        quote__status_changed_at__isnull=False
    )
    to_signature = _median_duration(
        contracts, F("quote__status_changed_at") - F("quote__visit__scheduled_at")
    )
    to_start = _median_duration(
        contracts.filter(**{f"{SERVICE_START_FIELD}__isnull": False}),
        F(SERVICE_START_FIELD) - F("quote__status_changed_at"),
    )
    return Delays(visit_to_signature=to_signature, signature_to_start=to_start)


# --- What needs attention: quotes about to expire, conflicts waiting ----------------


@dataclass(frozen=True)
class ShortList:
    count: int
    rows: list[Any]


def quotes_expiring(
    *, user: User, filters: DashboardFilters, days: int = 7, limit: int = SHORT_LIST
) -> ShortList:
    """Issued quotes whose validity ends within ``days`` days (not tied to the period)."""
    today = timezone.localdate()
    quotes = _scope(
        Quote.objects.for_user(user).filter(
            status=QuoteStatus.ISSUED,
            valid_until__gte=today,
            valid_until__lte=today + timedelta(days=days),
        ),
        filters,
        prefix="visit__",
    )
    rows = list(
        quotes.select_related("visit__prospect", "visit__agency", "visit__advisor").order_by(
            "valid_until", "pk"
        )[:limit]
    )
    return ShortList(count=quotes.count(), rows=rows)


def conflicts_waiting(
    *, user: User, filters: DashboardFilters, limit: int = SHORT_LIST
) -> ShortList:
    """Conflicts nobody resolved yet, oldest first (not tied to the period)."""
    conflicts = _scope(
        Conflict.objects.for_user(user).filter(resolved_at__isnull=True), filters, prefix="visit__"
    )
    rows = list(
        conflicts.select_related("visit__prospect", "visit__agency", "author").order_by(
            "created_at", "pk"
        )[:limit]
    )
    return ShortList(count=conflicts.count(), rows=rows)


def documents_waiting(
    *, user: User, filters: DashboardFilters, limit: int = SHORT_LIST
) -> ShortList:
    """Signed contracts still without their sealed documents after SWEEP_ALERT_SECONDS:
    the finalising task failed and the sweep has not caught up (not tied to the period)."""
    waiting = timedelta(seconds=settings.SWEEP_ALERT_SECONDS)
    requests = _scope(
        signed_without_documents(waiting).for_user(user), filters, prefix="contract__quote__visit__"
    )
    rows = list(
        requests.select_related(
            "contract__quote__visit__prospect", "contract__quote__visit__agency"
        ).order_by("completed_at", "pk")[:limit]
    )
    return ShortList(count=requests.count(), rows=rows)
