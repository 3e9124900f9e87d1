from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nomad_web.http import SYNC_HEADER, AuthenticatedHttpRequest
from organisation.models import AccessEvent, Role
from organisation.services import access_event_record
from visits.catalogue import visit_catalogues
from visits.forms import AssignForm, StatusForm, WalkInForm
from visits.models import VisitStatus
from visits.services import (
    SubmissionIdTaken,
    VisitError,
    visit_assign,
    visit_create_walk_in,
    visit_set_status,
)
from visits.steps import visit_steps
from visits.views.access import get_visit_for_user, require_manager


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


@require_http_methods(["GET", "POST"])
@login_required
def visit_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.user.role not in (Role.ADVISOR, Role.MANAGER):
        raise PermissionDenied
    form = WalkInForm(request.POST or None, user=request.user)
    # From the outbox (a visit created on the tablet, maybe offline): JSON, replayable.
    sync = request.headers.get(SYNC_HEADER) == "1"
    if request.method == "POST":
        try:
            client_uuid: uuid.UUID | None = uuid.UUID(request.POST.get("client_uuid", ""))
        except ValueError:
            client_uuid = None
        if sync and client_uuid is None:
            message = _("The submission id is missing or is not a UUID.")
            return JsonResponse({"status": 400, "message": message}, status=400)
        if not form.is_valid():
            if sync:
                errors = {
                    k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()
                }
                message = _("The visit could not be created: correct the fields shown.")
                return JsonResponse(
                    {"status": 422, "message": message, "errors": errors}, status=422
                )
            return render(request, "visits/visit_create.html", {"form": form}, status=422)
        data = form.cleaned_data
        try:
            visit = visit_create_walk_in(
                agency=data["agency"],
                advisor=request.user if request.user.role == Role.ADVISOR else data.get("advisor"),
                prospect_fields={
                    k: data[k]
                    for k in (
                        "first_name",
                        "last_name",
                        "phone",
                        "email",
                        "address",
                        "postal_code",
                        "city",
                    )
                },
                scheduled_at=data["scheduled_at"],
                user=request.user,
                activities=data["activities"],
                client_uuid=client_uuid,
            )
        except SubmissionIdTaken as exc:
            # Probing another agency's ids: audited, answered as any refused form, no id given.
            access_event_record(
                kind=AccessEvent.Kind.ACCESS_DENIED,
                request=request,
                user=request.user,
                detail="out_of_scope",
            )
            if sync:
                body = {"status": 422, "message": str(exc), "errors": {"client_uuid": [str(exc)]}}
                return JsonResponse(body, status=422)
            form.add_error(None, str(exc))
            context = {"form": form, "client_uuid": uuid.uuid4()}
            return render(request, "visits/visit_create.html", context, status=422)
        if sync:
            body = {"status": 200, "visit": {"id": visit.pk, "uuid": str(visit.uuid)}}
            return JsonResponse(body)
        messages.success(request, _("Visit created."))
        return redirect("visits:visit_detail", pk=visit.pk)
    return render(request, "visits/visit_create.html", {"form": form, "client_uuid": uuid.uuid4()})


@require_POST
@login_required
def visit_assign_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_manager(request)
    visit = get_visit_for_user(request, pk)
    form = AssignForm(request.POST, agency=visit.agency)
    if form.is_valid():
        try:
            visit_assign(visit=visit, advisor=form.cleaned_data["advisor"], user=request.user)
        except VisitError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("Visit assigned to %(name)s.") % {"name": form.cleaned_data["advisor"]}
            )
    else:
        messages.error(request, _("Choose an advisor of the agency."))
    return redirect("visits:visit_detail", pk=visit.pk)


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
