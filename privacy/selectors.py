"""Who may read what, for the privacy rules."""

from __future__ import annotations

from typing import Any

from organisation.models import User
from visits.catalogue import sensitive_answer_keys
from visits.models import Visit


def access_codes_visible(*, user: User, visit: Visit) -> bool:
    """Door and alarm codes: the assigned advisor, the agency's managers and staff only."""
    if user.is_staff or (visit.advisor_id is not None and visit.advisor_id == user.pk):
        return True
    return user.is_manager and user.memberships.filter(agency_id=visit.agency_id).exists()


def hidden_answer_keys(*, user: User, visit: Visit, catalogues: list[dict[str, Any]]) -> set[str]:
    """Answer keys this person must not see on this visit (none for those who need them)."""
    if access_codes_visible(user=user, visit=visit):
        return set()
    return set(sensitive_answer_keys(catalogues=catalogues))
