"""Reads about prospects and visits, always scoped to what the person may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from visits.models import Visit

if TYPE_CHECKING:
    from organisation.models import User


@dataclass(frozen=True)
class AgendaDay:
    day: date
    visits: list[Visit]


def agenda_period(*, anchor: date, view: str) -> tuple[date, date]:
    """First and last day shown: the day itself, or Monday to Sunday of its week."""
    if view == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=6)
    return anchor, anchor


def agenda_visits(*, user: User, start: date, end: date) -> QuerySet[Visit]:
    """Visits between two days (inclusive): an advisor's own, a manager's agencies'."""
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    visits = Visit.objects.for_user(user).filter(scheduled_at__gte=since, scheduled_at__lt=until)
    if user.is_advisor:
        visits = visits.filter(advisor=user)
    return visits.select_related("prospect", "advisor", "agency").order_by("scheduled_at")


def agenda_days(*, user: User, start: date, end: date) -> list[AgendaDay]:
    visits = list(agenda_visits(user=user, start=start, end=end))
    days = []
    current = start
    while current <= end:
        days.append(
            AgendaDay(
                day=current,
                visits=[v for v in visits if timezone.localtime(v.scheduled_at).date() == current],
            )
        )
        current += timedelta(days=1)
    return days
