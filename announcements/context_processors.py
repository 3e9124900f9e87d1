from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from announcements.selectors import announcements_pending_list


def pending_announcements(request: HttpRequest) -> dict[str, Any]:
    return {
        "pending_announcements": SimpleLazyObject(
            lambda: announcements_pending_list(user=request.user, limit=5)
        )
    }
