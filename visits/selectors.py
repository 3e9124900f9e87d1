"""Reads about prospects and visits, always scoped to what the person may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from visits.catalogue import visit_catalogues
from visits.models import Conflict, Prospect, Visit
from visits.models.visit import PROSPECT_FIELDS

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
    # A card shows none of the answers nor the estimate: the JSON stays in the database.
    visits = list(
        agenda_visits(user=user, start=start, end=end).defer(
            "answers", "completed_steps", "estimate"
        )
    )
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


def conflicts_for(*, user: User) -> QuerySet[Conflict]:
    """Conflicts a person should see: an advisor's own, the agency's for a manager."""
    conflicts = Conflict.objects.for_user(user).select_related("visit__prospect", "author")
    if user.is_advisor:
        conflicts = conflicts.filter(Q(visit__advisor=user) | Q(author=user))
    return conflicts


def conflict_rows(*, conflict: Conflict) -> list[dict[str, Any]]:
    """One row per key of the edit: the device's value, the server's, and whether they clash."""
    labels = _labels_for(conflict)
    return [
        {
            "key": key,
            "label": labels.get(key, key),
            "mine": conflict.mine[key],
            "theirs": conflict.theirs.get(key),
            "clash": key in conflict.conflicting_keys,
            "chosen": (conflict.resolution or {}).get(key),
        }
        for key in sorted(conflict.mine, key=lambda k: (k not in conflict.conflicting_keys, k))
    ]


def _labels_for(conflict: Conflict) -> dict[str, str]:
    from visits.steps import localised

    labels: dict[str, str] = {}
    for catalogue in visit_catalogues(visit=conflict.visit):
        for section in catalogue["sections"]:
            for question in section["questions"]:
                labels[f"answers.{question['key']}"] = localised(question)
    fields = [(f"prospect.{name}", Prospect, name) for name in PROSPECT_FIELDS] + [
        ("estimate.proposed_minutes", Visit, "proposed_minutes"),
        ("estimate.override_reason", Visit, "override_reason"),
    ]
    for key, model, name in fields:
        field = model._meta.get_field(name)
        labels[key] = str(getattr(field, "verbose_name", name)).capitalize()
    return labels
