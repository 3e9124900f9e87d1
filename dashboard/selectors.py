"""Every figure of the dashboard, from aggregate queries in the database.

Nothing here loops over visits in Python: a figure is a ``COUNT``/``SUM`` with filters,
grouped where needed, so the number of queries a page makes does not depend on the
amount of data (tests assert it). Every query starts from ``for_user``: a manager's
figures are those of their agencies, staff see the whole network.

A period's figures come from two places (``dashboard.summaries.period_sources``): its
whole months from the summary table ``MonthlyFigures`` when it holds them, the days
around them (the current month, a period starting mid-month) from the visits, quotes and
contracts. The two are added up; the expressions are those of ``dashboard.figures``, the
same the summary table is built with, so the sum equals the figure computed from the
source tables alone (a test compares them).

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

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from dashboard import figures
from dashboard.filters import DashboardFilters, period_bounds
from dashboard.models import ALL_ACTIVITIES, MonthlyFigures
from dashboard.summaries import Sources, period_sources
from nomad_web.sweeps import signed_without_documents
from organisation.models import User
from organisation.scoping import agency_ids_for
from quotes.models import Contract, Quote, QuoteStatus
from visits.models import Activity, Conflict, Visit, VisitStatus

T = TypeVar("T")

#: How many advisors the per-advisor panels show (the busiest first).
TOP_ADVISORS = 15
#: How many rows the short lists (expiring quotes, open conflicts) show.
SHORT_LIST = 10


def _scope(queryset: QuerySet[Any], filters: DashboardFilters, prefix: str = "") -> QuerySet[Any]:
    """Agency, brand, advisor and activity filters, on visits or on what hangs off them."""
    if filters.agency is not None:
        queryset = queryset.filter(**{f"{prefix}agency": filters.agency})
    if filters.brand is not None:
        queryset = queryset.filter(**{f"{prefix}agency__brand": filters.brand})
    if filters.advisor is not None:
        queryset = queryset.filter(**{f"{prefix}advisor": filters.advisor})
    if filters.activity:
        queryset = queryset.filter(figures.activity_q(filters.activity, prefix))
    return queryset


def sources_for(*, user: User, filters: DashboardFilters) -> Sources:
    sources = period_sources(*period_bounds(filters))
    if sources.months is None:
        return sources
    # The cache key of the summarised figures (``_from_summary``) names the agencies, not
    # the person: a manager who left an agency does not read what was cached before.
    agency_ids = agency_ids_for(user)
    if agency_ids is None:
        return replace(sources, scope="all")
    ids = sorted(set(agency_ids))
    return replace(sources, scope=",".join(map(str, ids)) or "none")


#: The summarised part of a figure is cached under the rebuild that produced it: it cannot
#: change before the next rebuild, so a page read again (or by a colleague with the same
#: agencies and filters) does not sum the table again. The timeout only bounds memory.
SUMMARY_CACHE_SECONDS = 900


def _from_summary(
    name: str,
    *,
    user: User,
    filters: DashboardFilters,
    sources: Sources,
    compute: Callable[[QuerySet[MonthlyFigures]], T],
) -> T:
    rows = summarised_for(user=user, filters=filters, sources=sources)
    if sources.months is None or not sources.scope:  # no scope known: never shared
        return compute(rows)
    key = ":".join(
        str(part)
        for part in (
            "dashboard",
            sources.state_id,
            name,
            sources.scope,
            *sources.months,
            filters.agency.pk if filters.agency else "",
            filters.brand.pk if filters.brand else "",
            filters.advisor.pk if filters.advisor else "",
            filters.activity,
        )
    )
    found = cache.get(key)
    if found is None:
        found = (compute(rows),)
        cache.set(key, found, timeout=SUMMARY_CACHE_SECONDS)
    value: T = found[0]
    return value


def visits_for(
    *, user: User, filters: DashboardFilters, days: list[tuple[date, date]] | None = None
) -> QuerySet[Visit]:
    """The visits of the period (or of ``days``) that the person may see, filtered."""
    days = [period_bounds(filters)] if days is None else days
    return _scope(Visit.objects.for_user(user).filter(figures.days_q(days)), filters)


def signed_contracts_for(
    *, user: User, filters: DashboardFilters, days: list[tuple[date, date]] | None = None
) -> QuerySet[Contract]:
    """Signed contracts of the visits ``visits_for`` gives, filtered on the same joins.

    The visit filters are repeated on the contract's joined visit rather than written
    ``visit IN (subquery)``: PostgreSQL then plans one hash join over the year.
    """
    days = [period_bounds(filters)] if days is None else days
    contracts = Contract.objects.for_user(user).filter(
        figures.days_q(days, prefix="quote__visit__"), quote__status=QuoteStatus.SIGNED
    )
    return _scope(contracts, filters, prefix="quote__visit__")


def summarised_for(
    *, user: User, filters: DashboardFilters, sources: Sources
) -> QuerySet[MonthlyFigures]:
    """The summary rows of the whole months of ``sources``, same scope and filters."""
    if sources.months is None:
        return MonthlyFigures.objects.none()
    first, end = sources.months
    rows = MonthlyFigures.objects.for_user(user).filter(
        month__gte=first, month__lt=end, activity=filters.activity or ALL_ACTIVITIES
    )
    if filters.agency is not None:
        rows = rows.filter(agency=filters.agency)
    if filters.brand is not None:
        rows = rows.filter(brand=filters.brand)
    if filters.advisor is not None:
        rows = rows.filter(advisor=filters.advisor)
    return rows


def _sums(names: tuple[str, ...]) -> dict[str, Sum]:
    """``SUM`` of summary columns, under names that are not the columns' own (which an
    annotation may not take); ``_summed`` reads them back."""
    return {f"sum_{name}": Sum(name) for name in names}


def _summed(row: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {**row, **{name: row[f"sum_{name}"] or 0 for name in names}}


# --- Visits: by status, by activity, conversion -------------------------------------


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


def visit_overview(
    *, user: User, filters: DashboardFilters, sources: Sources | None = None
) -> Overview:
    sources = sources or sources_for(user=user, filters=filters)
    counts = figures.visit_counts()
    live = visits_for(user=user, filters=filters, days=sources.days).aggregate(**counts)
    # A correlated EXISTS per visit costs a subplan per row at network scale; counting
    # from the contracts' side is one join.
    signed = signed_contracts_for(user=user, filters=filters, days=sources.days).aggregate(
        n=figures.contract_sums()["signed_visits"]
    )["n"]
    names = (*counts, "signed_visits")
    summed = _from_summary(
        "overview",
        user=user,
        filters=filters,
        sources=sources,
        compute=lambda rows: _summed(rows.aggregate(**_sums(names)), names),
    )
    n = {name: live[name] + summed[name] for name in counts}
    return Overview(
        total=n["total"],
        by_status={s: n[f"status_{s}"] for s in VisitStatus.values},
        by_activity={a: n[f"activity_{a}"] for a in Activity.values},
        held=n["held"],
        signed_contracts=signed + summed["signed_visits"],
        app=n["app"],
        paper=n["paper"],
    )


# --- Adoption of the app, month by month --------------------------------------------


@dataclass(frozen=True)
class MonthAdoption:
    month: date
    app: int
    paper: int

    @property
    def rate(self) -> float | None:
        total = self.app + self.paper
        return self.app / total if total else None


def adoption_by_month(
    *, user: User, filters: DashboardFilters, sources: Sources | None = None
) -> list[MonthAdoption]:
    sources = sources or sources_for(user=user, filters=filters)
    counts = figures.visit_counts()
    months: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    live = (
        visits_for(user=user, filters=filters, days=sources.days)
        .exclude(status=VisitStatus.CANCELLED)
        .annotate(month=TruncMonth("scheduled_at"))
        .values("month")
        .annotate(app=counts["app"], paper=counts["paper"])
    )
    summed = _from_summary(
        "adoption",
        user=user,
        filters=filters,
        sources=sources,
        compute=lambda rows: [
            _summed(r, ("app", "paper"))
            for r in rows.filter(Q(app__gt=0) | Q(paper__gt=0))
            .values("month")
            .annotate(**_sums(("app", "paper")))
        ],
    )
    for r in [*live, *summed]:
        month = months[figures.as_date(r["month"])]
        month[0] += r["app"]
        month[1] += r["paper"]
    return [
        MonthAdoption(month=m, app=app, paper=paper) for m, (app, paper) in sorted(months.items())
    ]


# --- Per advisor: visits, signatures and hours --------------------------------------


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


def _add_rows(
    totals: dict[Any, dict[str, int]], rows: Any, key: str, names: tuple[str, ...]
) -> None:
    for r in rows:
        target = totals.setdefault(r[key], dict.fromkeys(names, 0))
        for name in names:
            target[name] += r[name] or 0


def _busiest(
    visits: dict[int | None, dict[str, int]], limit: int
) -> list[tuple[int | None, User | None]]:
    """The ``limit`` advisors with the most visits; ties by last name, then id.

    Only the advisors that can make the list are read from the users (one query): those
    with at least as many visits as the ``limit``-th.
    """
    ranked = sorted(visits, key=lambda pk: -visits[pk]["total"])
    if not ranked:
        return []
    floor = visits[ranked[min(limit, len(ranked)) - 1]]["total"]
    candidates = [pk for pk in ranked if visits[pk]["total"] >= floor]
    users = User.objects.in_bulk([pk for pk in candidates if pk is not None])

    def order(pk: int | None) -> tuple[Any, ...]:
        user = users.get(pk) if pk is not None else None
        # The unassigned visits (no advisor) after the advisors of the same count.
        return (-visits[pk]["total"], user is None, user.last_name if user else "", pk or 0)

    return [
        (pk, users.get(pk) if pk is not None else None)
        for pk in sorted(candidates, key=order)[:limit]
    ]


def _advisors_q(ids: list[int | None], prefix: str = "") -> Q:
    among = Q(**{f"{prefix}advisor_id__in": [pk for pk in ids if pk is not None]})
    if None in ids:
        among |= Q(**{f"{prefix}advisor_id__isnull": True})
    return among


def advisor_figures(
    *,
    user: User,
    filters: DashboardFilters,
    limit: int = TOP_ADVISORS,
    sources: Sources | None = None,
) -> list[AdvisorFigures]:
    """The busiest advisors of the period with their hours: estimated, proposed, contracted.

    The visits grouped by advisor, then the signed contracts of the same visits grouped
    the same way (contracts, signed visits, contracted minutes and the estimate of those
    visits, so that both sides of the accuracy ratio cover the same visits); each from the
    source tables and from the summary table, added up.
    """
    sources = sources or sources_for(user=user, filters=filters)
    names = ("total", "minutes_estimated", "minutes_proposed")
    visits: dict[int | None, dict[str, int]] = {}
    _add_rows(
        visits,
        visits_for(user=user, filters=filters, days=sources.days)
        .values("advisor_id")
        .annotate(total=figures.visit_counts()["total"], **figures.visit_minutes()),
        "advisor_id",
        names,
    )
    _add_rows(
        visits,
        _from_summary(
            "advisors",
            user=user,
            filters=filters,
            sources=sources,
            compute=lambda rows: [
                _summed(r, names) for r in rows.values("advisor_id").annotate(**_sums(names))
            ],
        ),
        "advisor_id",
        names,
    )
    top = _busiest(visits, limit)
    ids = [pk for pk, _user in top]
    signed: dict[int | None, dict[str, int]] = {}
    _add_rows(
        signed,
        signed_contracts_for(user=user, filters=filters, days=sources.days)
        .filter(_advisors_q(ids, "quote__visit__"))
        .values("quote__visit__advisor_id")
        .annotate(**figures.contract_sums()),
        "quote__visit__advisor_id",
        figures.CONTRACT_FIELDS,
    )
    # Every advisor's signed figures (cached once per rebuild), of which the top ones.
    signed_by_advisor = _from_summary(
        "advisors-signed",
        user=user,
        filters=filters,
        sources=sources,
        compute=lambda rows: {
            r["advisor_id"]: _summed(r, figures.CONTRACT_FIELDS)
            for r in rows.values("advisor_id").annotate(**_sums(figures.CONTRACT_FIELDS))
        },
    )
    _add_rows(
        signed,
        [signed_by_advisor[pk] for pk in ids if pk in signed_by_advisor],
        "advisor_id",
        figures.CONTRACT_FIELDS,
    )
    none = dict.fromkeys(figures.CONTRACT_FIELDS, 0)
    return [
        AdvisorFigures(
            advisor_id=pk,
            name=(f"{person.first_name} {person.last_name}".strip() or person.email)
            if person
            else "",
            visits=visits[pk]["total"],
            signed=signed.get(pk, none)["signed_visits"],
            estimated_minutes=visits[pk]["minutes_estimated"],
            proposed_minutes=visits[pk]["minutes_proposed"],
            contracted_minutes=signed.get(pk, none)["minutes_contracted"],
            estimated_signed_minutes=signed.get(pk, none)["minutes_estimated_signed"],
        )
        for pk, person in top
    ]


# --- Delays: visit → signature, signature → service start ---------------------------


@dataclass(frozen=True)
class Delays:
    visit_to_signature: timedelta | None
    signature_to_start: timedelta | None


def _summarised_delays(rows: QuerySet[MonthlyFigures]) -> dict[str, list[int]]:
    """Every delay the rows keep, sorted; joined by the database into one text per list
    (rather than a row per advisor and month)."""
    joined = rows.aggregate(
        to_signature=figures.JoinedText("to_signature", filter=~Q(to_signature="")),
        to_start=figures.JoinedText("to_start", filter=~Q(to_start="")),
    )
    return {name: sorted(figures.delays_from_text(text or "")) for name, text in joined.items()}


def delays(*, user: User, filters: DashboardFilters, sources: Sources | None = None) -> Delays:
    """Median delays, over every signed contract of the period.

    Medians do not add up: the summary table keeps each contract's delays, and the median
    is taken here over those and the live ones (sorted integers, a few thousand per
    agency, some tens of thousands for the network).
    """
    sources = sources or sources_for(user=user, filters=filters)
    to_signature: list[int] = []
    to_start: list[int] = []
    live = (
        signed_contracts_for(user=user, filters=filters, days=sources.days)
        .filter(quote__status_changed_at__isnull=False)
        .annotate(to_signature=figures.TO_SIGNATURE, to_start=figures.TO_START)
        .values_list("to_signature", "to_start")
    )
    for signature, start in live:
        to_signature.append(figures.microseconds(signature))
        if start is not None:
            to_start.append(figures.microseconds(start))
    # Joined by the database: one text per list, rather than a row per advisor and month.
    summed = _from_summary(
        "delays",
        user=user,
        filters=filters,
        sources=sources,
        compute=_summarised_delays,
    )
    # Two sorted runs each: Python's sort merges them in linear time.
    to_signature += summed["to_signature"]
    to_start += summed["to_start"]
    return Delays(
        visit_to_signature=figures.median(to_signature),
        signature_to_start=figures.median(to_start),
    )


# --- What needs attention: quotes about to expire, conflicts waiting ----------------


@dataclass(frozen=True)
class ShortList:
    count: int
    rows: list[Any]


def _short_list(queryset: QuerySet[Any], order: tuple[str, ...], limit: int) -> ShortList:
    """The first ``limit`` rows, and how many there are in all: fewer rows than the limit
    are all of them; otherwise a ``COUNT`` (without the joins the rows need)."""
    rows = list(queryset.order_by(*order)[:limit])
    return ShortList(count=len(rows) if len(rows) < limit else queryset.count(), rows=rows)


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
    return _short_list(
        quotes.select_related("visit__prospect", "visit__agency", "visit__advisor"),
        ("valid_until", "pk"),
        limit,
    )


def conflicts_waiting(
    *, user: User, filters: DashboardFilters, limit: int = SHORT_LIST
) -> ShortList:
    """Conflicts nobody resolved yet, oldest first (not tied to the period)."""
    conflicts = _scope(
        Conflict.objects.for_user(user).filter(resolved_at__isnull=True), filters, prefix="visit__"
    )
    return _short_list(
        conflicts.select_related("visit__prospect", "visit__agency", "author"),
        ("created_at", "pk"),
        limit,
    )


def documents_waiting(
    *, user: User, filters: DashboardFilters, limit: int = SHORT_LIST
) -> ShortList:
    """Signed contracts still without their sealed documents after SWEEP_ALERT_SECONDS:
    the finalising task failed and the sweep has not caught up (not tied to the period)."""
    waiting = timedelta(seconds=settings.SWEEP_ALERT_SECONDS)
    requests = _scope(
        signed_without_documents(waiting).for_user(user), filters, prefix="contract__quote__visit__"
    )
    return _short_list(
        requests.select_related(
            "contract__quote__visit__prospect", "contract__quote__visit__agency"
        ),
        ("completed_at", "pk"),
        limit,
    )
