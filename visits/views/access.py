from __future__ import annotations

import uuid

from django.http import Http404

from nomad_web.http import AuthenticatedHttpRequest
from organisation.models import Agency, Role
from organisation.scoping import get_for_user_or_404
from visits.models import Activity, Prospect, Visit, VisitStatus
from visits.offline_plan import TEMPLATE_VISIT


def get_visit_for_user(
    request: AuthenticatedHttpRequest, pk: int | uuid.UUID, *, template_ok: bool = False
) -> Visit:
    """The visit if the person may see it (their agencies), else 404. By number or by the
    id the tablet gave it; ``template_ok``: a page that a blank visit may be drawn on."""
    if pk == TEMPLATE_VISIT:
        if not template_ok:
            raise Http404
        return template_visit(request)
    lookup: dict[str, int | uuid.UUID] = {"uuid": pk} if isinstance(pk, uuid.UUID) else {"pk": pk}
    return get_for_user_or_404(
        Visit.objects.select_related("prospect", "agency__brand", "advisor"),
        request.user,
        **lookup,
    )


def template_visit(request: AuthenticatedHttpRequest) -> Visit:
    """A blank, unsaved visit of one of the person's agencies (``?modele=<agency>:<activities>``),
    for the pages a visit created offline needs before it reaches the server."""
    if request.user.role not in (Role.ADVISOR, Role.MANAGER):
        raise Http404
    agency_id, _sep, activities = request.GET.get("modele", "").partition(":")
    chosen = [a for a in activities.split(",") if a in Activity.values]
    agency = (
        Agency.objects.for_user(request.user)
        .select_related("brand")
        .filter(pk=int(agency_id) if agency_id.isdigit() else 0)
        .first()
    )
    if agency is None or not chosen:
        raise Http404
    visit = Visit(
        uuid=TEMPLATE_VISIT,
        prospect=Prospect(agency=agency),
        agency=agency,
        advisor=request.user if request.user.role == Role.ADVISOR else None,
        activities=chosen,
        status=VisitStatus.SCHEDULED,
    )
    visit.pk = TEMPLATE_VISIT  # type: ignore[assignment]  # its URLs carry the placeholder
    return visit
