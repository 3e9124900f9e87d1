"""What each dashboard panel shows: the figures from ``selectors`` put into charts.

Kept out of the views so that they stay thin, and out of the selectors so that those
stay about the database. Numbers are formatted the French way here only for chart
labels (SVG text); tables in the templates are localised by Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import formats
from django.utils.dates import MONTHS_3
from django.utils.translation import gettext as _

from dashboard import charts, selectors
from dashboard.bus import BusHealth, bus_health
from dashboard.filters import DashboardFilters
from organisation.models import User
from visits.models import Activity, VisitStatus

STATUS_CSS = {
    VisitStatus.SCHEDULED: "bar--neutral",
    VisitStatus.IN_PROGRESS: "bar--neutral",
    VisitStatus.NEEDS_CAPTURED: "bar--neutral",
    VisitStatus.QUOTED: "bar--secondary",
    VisitStatus.SIGNED: "bar--good",
    VisitStatus.LOST: "bar--bad",
    VisitStatus.CANCELLED: "bar--muted",
}
HOURS_SERIES_CSS = ("bar--neutral", "bar--secondary", "bar--good")


def hours(minutes: int | None, digits: int = 1) -> str:
    if minutes is None:
        return "—"
    # number_format cuts decimals off rather than rounding them: round first.
    return formats.number_format(round(minutes / 60, digits), digits, use_l10n=True)


def percent(share: float | None) -> str:
    if share is None:
        return "—"
    return f"{formats.number_format(round(share * 100), 0, use_l10n=True)}\u00a0%"


def days(delay: timedelta | None) -> str:
    if delay is None:
        return "—"
    value = delay.total_seconds() / 86400
    return _("%(days)s days") % {"days": formats.number_format(round(value, 1), 1, use_l10n=True)}


@dataclass(frozen=True)
class Dashboard:
    overview: selectors.Overview
    status_chart: charts.BarChart
    status_rows: list[tuple[str, int]]
    activity_chart: charts.BarChart
    activity_rows: list[tuple[str, int]]
    adoption: list[selectors.MonthAdoption]
    adoption_chart: charts.ColumnChart
    advisors: list[selectors.AdvisorFigures]
    advisor_chart: charts.BarChart
    hours_chart: charts.GroupedBarChart
    delays: selectors.Delays
    quotes: selectors.ShortList
    conflicts: selectors.ShortList
    documents_waiting: selectors.ShortList
    bus: BusHealth
    #: When the summary table that gave the whole months was rebuilt (None: all live).
    summarised_at: datetime | None

    @property
    def texts(self) -> dict[str, str]:
        return {
            "conversion": percent(self.overview.conversion),
            "adoption": percent(self.overview.adoption),
            "to_signature": days(self.delays.visit_to_signature),
            "to_start": days(self.delays.signature_to_start),
        }


def month_label(month: Any) -> str:
    return f"{MONTHS_3[month.month]} {month.year % 100:02d}"


def dashboard_build(*, user: User, filters: DashboardFilters) -> Dashboard:
    sources = selectors.sources_for(user=user, filters=filters)
    overview = selectors.visit_overview(user=user, filters=filters, sources=sources)
    status_rows = [(str(s.label), overview.by_status[s.value]) for s in VisitStatus]
    activity_rows = [(str(a.label), overview.by_activity[a.value]) for a in Activity]
    adoption = selectors.adoption_by_month(user=user, filters=filters, sources=sources)
    advisors = selectors.advisor_figures(user=user, filters=filters, sources=sources)
    number = formats.number_format
    return Dashboard(
        overview=overview,
        status_rows=status_rows,
        status_chart=charts.bar_chart(
            [(label, n, number(n, use_l10n=True, force_grouping=True)) for label, n in status_rows],
            css=[STATUS_CSS[s] for s in VisitStatus],
        ),
        activity_rows=activity_rows,
        activity_chart=charts.bar_chart(
            [
                (label, n, number(n, use_l10n=True, force_grouping=True))
                for label, n in activity_rows
            ]
        ),
        adoption=adoption,
        adoption_chart=charts.percent_columns([(month_label(m.month), m.rate) for m in adoption]),
        advisors=advisors,
        advisor_chart=charts.bar_chart(
            [
                (a.name or _("Not assigned"), a.visits, number(a.visits, use_l10n=True))
                for a in advisors
            ]
        ),
        hours_chart=charts.grouped_bars(
            [
                (
                    a.name or _("Not assigned"),
                    [
                        (a.estimated_minutes, hours(a.estimated_minutes, 0) + " h"),
                        (a.proposed_minutes, hours(a.proposed_minutes, 0) + " h"),
                        (a.contracted_minutes, hours(a.contracted_minutes, 0) + " h"),
                    ],
                )
                for a in advisors
            ],
            css=HOURS_SERIES_CSS,
        ),
        delays=selectors.delays(user=user, filters=filters, sources=sources),
        quotes=selectors.quotes_expiring(user=user, filters=filters),
        conflicts=selectors.conflicts_waiting(user=user, filters=filters),
        documents_waiting=selectors.documents_waiting(user=user, filters=filters),
        bus=bus_health(),
        summarised_at=sources.refreshed_at,
    )
