from __future__ import annotations

from django.core.exceptions import PermissionDenied

from nomad_web.http import AuthenticatedHttpRequest
from organisation.models import Role
from organisation.scoping import get_for_user_or_404
from visits.models import Visit


def get_visit_for_user(request: AuthenticatedHttpRequest, pk: int) -> Visit:
    """The visit if the person may see it (their agencies), else 404."""
    return get_for_user_or_404(
        Visit.objects.select_related("prospect", "agency__brand", "advisor"), request.user, pk=pk
    )


def require_manager(request: AuthenticatedHttpRequest) -> None:
    if request.user.role not in (Role.MANAGER, Role.STAFF):
        raise PermissionDenied
