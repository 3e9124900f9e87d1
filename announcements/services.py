from __future__ import annotations

from announcements.models import Announcement, Dismissal
from organisation.models import User


def announcement_dismiss(*, announcement: Announcement, user: User) -> Dismissal:
    dismissal, _ = Dismissal.objects.get_or_create(announcement=announcement, user=user)
    return dismissal
