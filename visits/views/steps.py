"""The visit flow, one step per page. Each POST is one complete, replayable write:
it carries the visit version it was based on and the catalogue versions it was built
from. Without JavaScript: 303 to the next step. With htmx: the next step's partial."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from nomad_web.http import AuthenticatedHttpRequest
from visits.submissions import (
    MISMATCH_MESSAGE,
    SYNC_HEADER,
    submission_run,
)
from visits.views.access import get_visit_for_user
from visits.views.step_page import Outcome, StepPage, base_version, step_url
from visits.views.step_save import step_context, step_save


def _json(page: StepPage, outcome: Outcome) -> dict[str, Any]:
    body: dict[str, Any] = {"status": outcome.status, "version": outcome.visit.version}
    if outcome.status == 200:
        target = page.step if outcome.stay or page.next is None else page.next
        body["next_url"] = step_url(outcome.visit, target.key)
    if outcome.conflict is not None:
        body["conflict_url"] = reverse("visits:conflict_detail", args=[outcome.conflict.pk])
    if outcome.message:
        body["message"] = outcome.message
    if outcome.errors:
        body["errors"] = outcome.errors
    return body


def _answer(page: StepPage, outcome: Outcome) -> HttpResponse:
    if page.request.headers.get(SYNC_HEADER) == "1":
        return JsonResponse(_json(page, outcome), status=outcome.status)
    if outcome.status == 200:
        return page.after_save(outcome.visit, stay=outcome.stay)
    extra: dict[str, Any] = dict(outcome.context)
    if outcome.conflict is not None:
        extra["conflict"] = _(
            "Someone else changed these answers in the meantime. "
            "Your version is kept: choose what to keep."
        )
        extra["conflict_url"] = reverse("visits:conflict_detail", args=[outcome.conflict.pk])
    elif outcome.status == 409:
        extra["conflict"] = outcome.message
    elif outcome.message:
        extra["error"] = outcome.message
    return page.render(status=outcome.status, **extra)


def _malformed(data: QueryDict) -> str:
    """Why a step POST cannot be taken as it is (it would overwrite blindly), or ""."""
    if base_version(data) is None:
        return _("This form does not say which version of the visit it was made on: reload it.")
    submission = data.get("submission_id")
    if submission is not None:
        try:
            uuid.UUID(submission)
        except ValueError:
            return _("The submission id is missing or is not a UUID.")
    return ""


def _post(page: StepPage) -> HttpResponse:
    data = page.request.POST
    if problem := _malformed(data):
        return _answer(page, Outcome(400, page.visit, message=problem))
    ctx = step_context(page.request, data)

    def write() -> tuple[int, dict[str, Any], Outcome]:
        outcome = step_save(page, ctx)
        return outcome.status, _json(page, outcome), outcome

    done = submission_run(
        request=page.request, visit_id=page.visit.pk, client_uuid=ctx.client_uuid, handle=write
    )
    if done.mismatch:
        return _answer(page, Outcome(422, page.visit, message=str(MISMATCH_MESSAGE)))
    if done.result is None:  # a replay: the answer stored the first time
        return JsonResponse(done.body, status=done.status)
    return _answer(page, done.result)


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def visit_step(request: AuthenticatedHttpRequest, pk: int | uuid.UUID, step: str) -> HttpResponse:
    # A blank visit's pages are prepared for visits created offline; it takes no POST.
    visit = get_visit_for_user(request, pk, template_ok=request.method == "GET")
    page = StepPage(request, visit, step)
    if request.method == "POST":
        return _post(page)
    return page.render(**page.forms())
