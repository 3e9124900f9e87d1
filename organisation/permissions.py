"""Who may open a page, by role (what they see inside it is scoped by ``scoping``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from nomad_web.http import AuthenticatedHttpRequest
from organisation.models import Role


def require_manager(request: AuthenticatedHttpRequest) -> None:
    """Agency managers and head office only: dashboards, assigning, privacy requests."""
    if request.user.role not in (Role.MANAGER, Role.STAFF):
        raise PermissionDenied


def require_field_user(request: AuthenticatedHttpRequest) -> None:
    """Advisors and agency managers: the people who visit (head office works in the admin)."""
    if request.user.role not in (Role.ADVISOR, Role.MANAGER):
        raise PermissionDenied
