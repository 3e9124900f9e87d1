from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nomad_web.http import SYNC_HEADER, AuthenticatedHttpRequest, form_errors
from organisation.models import AccessEvent, Role
from organisation.permissions import require_field_user, require_manager
from organisation.selectors import advisors_by_agency
from organisation.services import access_event_record
from visits.catalogue import visit_catalogues
from visits.forms import AssignForm, StatusForm, WalkInForm
from visits.models import Visit, VisitStatus
from visits.services import (
    SubmissionIdTaken,
    VisitError,
    visit_assign,
    visit_create_walk_in,
    visit_set_status,
)
from visits.steps import visit_steps
from visits.views.access import get_visit_for_user


@require_GET
@login_required
def visit_detail(request: AuthenticatedHttpRequest, pk: int | uuid.UUID) -> HttpResponse:
    visit = get_visit_for_user(request, pk, template_ok=True)
    steps = visit_steps(catalogues=visit_catalogues(visit=visit))
    resume = next((s for s in steps if s.key not in visit.completed_steps), steps[-1])
    context = {
        "visit": visit,
        "steps": steps,
        "resume": resume,
        "status_form": StatusForm(),
        "assign_form": AssignForm(agency=visit.agency, initial={"advisor": visit.advisor})
        if request.user.role in (Role.MANAGER, Role.STAFF)
        else None,
    }
    return render(request, "visits/visit_detail.html", context)


WALK_IN_PROSPECT_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "email",
    "address",
    "postal_code",
    "city",
)


@require_http_methods(["GET", "POST"])
@login_required
def visit_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A walk-in visit: the form, or the outbox's replayable JSON (a visit made offline)."""
    require_field_user(request)
    form = WalkInForm(request.POST or None, user=request.user)
    if request.method == "GET":
        return _walk_in_page(request, form)
    sync = request.headers.get(SYNC_HEADER) == "1"
    client_uuid = _uuid_or_none(request.POST.get("client_uuid", ""))
    if sync and client_uuid is None:
        message = _("The submission id is missing or is not a UUID.")
        return JsonResponse({"status": 400, "message": message}, status=400)
    if not form.is_valid():
        message = _("The visit could not be created: correct the fields shown.")
        return _walk_in_refused(request, form, sync, message, form_errors(form))
    try:
        visit = _walk_in_create(request, form.cleaned_data, client_uuid)
    except SubmissionIdTaken as exc:
        # Probing another agency's ids: audited, answered as any refused form, no id given.
        access_event_record(
            kind=AccessEvent.Kind.ACCESS_DENIED,
            request=request,
            user=request.user,
            detail="out_of_scope",
        )
        form.add_error(None, str(exc))
        return _walk_in_refused(
            request, form, sync, str(exc), {"client_uuid": [str(exc)]}, new_id=True
        )
    if sync:
        return JsonResponse({"status": 200, "visit": {"id": visit.pk, "uuid": str(visit.uuid)}})
    messages.success(request, _("Visit created."))
    return redirect("visits:visit_detail", pk=visit.pk)


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _walk_in_create(
    request: AuthenticatedHttpRequest, data: dict[str, Any], client_uuid: uuid.UUID | None
) -> Visit:
    return visit_create_walk_in(
        agency=data["agency"],
        advisor=request.user if request.user.role == Role.ADVISOR else data.get("advisor"),
        prospect_fields={k: data[k] for k in WALK_IN_PROSPECT_FIELDS},
        scheduled_at=data["scheduled_at"],
        user=request.user,
        activities=data["activities"],
        client_uuid=client_uuid,
    )


def _walk_in_page(
    request: AuthenticatedHttpRequest, form: WalkInForm, status: int = 200, new_id: bool = False
) -> HttpResponse:
    # A form shown again keeps its submission id, unless that id was refused.
    posted = None if new_id else _uuid_or_none(request.POST.get("client_uuid", ""))
    context = {"form": form, "client_uuid": posted or uuid.uuid4()}
    return render(request, "visits/visit_create.html", context, status=status)


def _walk_in_refused(
    request: AuthenticatedHttpRequest,
    form: WalkInForm,
    sync: bool,
    message: str,
    errors: dict[str, list[str]],
    new_id: bool = False,
) -> HttpResponse:
    if sync:
        return JsonResponse({"status": 422, "message": message, "errors": errors}, status=422)
    return _walk_in_page(request, form, status=422, new_id=new_id)


@require_POST
@login_required
def visit_assign_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Assign or reassign a visit to an advisor of its agency (visit page or visit list)."""
    require_manager(request)
    visit = get_visit_for_user(request, pk)
    ok, message = _assign(request, visit)
    if request.htmx:  # the visit list's row, redrawn with the outcome
        row = Visit.objects.select_related("prospect", "agency", "advisor").get(pk=visit.pk)
        context = {
            "visit": row,
            "advisors": advisors_by_agency(agency_ids=[row.agency_id]),
            "can_assign": True,
            "row_message": message,
            "row_ok": ok,
        }
        status = 200 if ok else 422
        return render(request, "dashboard/partials/visit_row.html", context, status=status)
    (messages.success if ok else messages.error)(request, message)
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("visits:visit_detail", pk=visit.pk)


def _assign(request: AuthenticatedHttpRequest, visit: Visit) -> tuple[bool, str]:
    form = AssignForm(request.POST, agency=visit.agency)
    if not form.is_valid():
        return False, _("Choose an advisor of the agency.")
    try:
        visit_assign(visit=visit, advisor=form.cleaned_data["advisor"], user=request.user)
    except VisitError as exc:
        return False, str(exc)
    return True, _("Visit assigned to %(name)s.") % {"name": form.cleaned_data["advisor"]}


@require_POST
@login_required
def visit_status_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = get_visit_for_user(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose lost or cancelled and give a reason."))
    else:
        try:
            visit_set_status(
                visit=visit,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                user=request.user,
            )
        except VisitError as exc:
            messages.error(request, str(exc))
        else:
            label = VisitStatus(form.cleaned_data["status"]).label
            messages.success(request, _("Visit marked as %(status)s.") % {"status": label})
    return redirect("visits:visit_detail", pk=visit.pk)
