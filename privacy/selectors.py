"""Who may read what, for the privacy rules."""

from __future__ import annotations

from typing import Any

from organisation.models import User
from visits.models import Visit
from visits.models.visit import ACCESS_CODE_KEYS


def access_codes_visible(*, user: User, visit: Visit) -> bool:
    """Door and alarm codes: the assigned advisor, the agency's managers and staff only."""
    if user.is_staff or (visit.advisor_id is not None and visit.advisor_id == user.pk):
        return True
    return user.is_manager and user.memberships.filter(agency_id=visit.agency_id).exists()


def hidden_answer_keys(*, user: User, visit: Visit, catalogues: list[dict[str, Any]]) -> set[str]:
    """Answer keys this person must not see on this visit (none for those who need them)."""
    if access_codes_visible(user=user, visit=visit):
        return set()
    flagged = {
        q["key"]
        for catalogue in catalogues
        for section in catalogue["sections"]
        for q in section.get("questions", [])
        if q.get("sensitive")
    }
    return flagged | set(ACCESS_CODE_KEYS)
