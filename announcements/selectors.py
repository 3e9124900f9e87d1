from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from announcements.models import Announcement, Dismissal

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
