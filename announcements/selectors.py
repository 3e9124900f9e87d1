from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from announcements.models import Announcement, Dismissal
from nomad_web.request_cache import cached

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from organisation.models import User


def announcements_for(*, user: User | AnonymousUser) -> QuerySet[Announcement]:
    """Published announcements meant for the person's role, newest first."""
    field = Announcement.audience_field(getattr(user, "role", ""))
    if not user.is_authenticated or field is None:
        return Announcement.objects.none()
    return Announcement.objects.filter(**{field: True}, published_at__lte=timezone.now()).annotate(
        dismissed=Exists(Dismissal.objects.filter(announcement=OuterRef("pk"), user=user))
    )


def announcements_pending(*, user: User | AnonymousUser) -> QuerySet[Announcement]:
    """Those the person has not dismissed yet, oldest first so they read in order."""
    if not user.is_authenticated:
        return Announcement.objects.none()
    return announcements_for(user=user).exclude(dismissals__user=user).order_by("published_at")


def announcements_pending_list(*, user: User | AnonymousUser, limit: int = 5) -> list[Announcement]:
    """``announcements_pending`` as shown on every page, read from the cache.

    Two cached values: the announcements meant for the person's role (including those
    scheduled later, filtered here by the clock), and the ids the person dismissed.
    """
    field = Announcement.audience_field(getattr(user, "role", ""))
    if not user.is_authenticated or field is None:
        return []
    user_id = user.pk
    for_role = cached(
        "announcements",
        f"role:{field}",
        lambda: list(Announcement.objects.filter(**{field: True}).order_by("published_at", "pk")),
    )
    dismissed = cached(
        f"dismissals:{user_id}",
        "ids",
        lambda: frozenset(
            Dismissal.objects.filter(user_id=user_id).values_list("announcement_id", flat=True)
        ),
    )
    now = timezone.now()
    pending = [a for a in for_role if a.published_at <= now and a.pk not in dismissed]
    return pending[:limit]
