"""The visit flow, one step per page. Each POST is one complete, replayable write:
it carries the visit version it was based on and the catalogue versions it was built
from. Without JavaScript: 303 to the next step. With htmx: the next step's partial."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from nomad_web.http import AuthenticatedHttpRequest
from privacy.selectors import hidden_answer_keys
from quotes.models import LegalText, LegalTextKind
from quotes.selectors import legal_text_current
from visits.catalogue import visit_catalogues
from visits.forms import (
    META_FIELDS,
    EstimateForm,
    ProspectForm,
    QuestionsForm,
    RoomsForm,
    from_answer,
)
from visits.fragments import room_templates_html
from visits.models import Conflict, Prospect, Visit
from visits.models.visit import PROSPECT_FIELDS
from visits.services import (
    VisitError,
    WriteContext,
    WriteResult,
    WrongCatalogue,
    visit_confirm_estimate,
    visit_estimate,
    visit_require_consent,
    visit_save_answers,
    visit_save_prospect,
)
from visits.steps import StepDef, questions_of, room_types_of, step_sections, visit_steps
from visits.submissions import (
    DEVICE_HEADER,
    SYNC_HEADER,
    SubmissionMismatch,
    submission_hash,
    submission_lock_visit,
    submission_previous,
    submission_record,
    submission_time,
    sync_outcome_of,
    sync_submission_counted,
)
from visits.views.access import get_visit_for_user


def _base_version(data: QueryDict) -> int | None:
    value = data.get("base_version", "")
    return int(value) if value.isdigit() else None


def _catalogue_ids(data: QueryDict) -> list[int]:
    return [int(v) for v in data.getlist("catalogue_versions") if v.isdigit()]


def _step_url(visit: Visit, step: str) -> str:
    return reverse("visits:visit_step", args=[visit.pk, step])


class StepPage:
    """Everything one step page shows, built once per request."""

    def __init__(self, request: AuthenticatedHttpRequest, visit: Visit, step_key: str) -> None:
        self.request = request
        self.visit = visit
        self.catalogues = visit_catalogues(visit=visit)
        self.steps = visit_steps(catalogues=self.catalogues)
        keys = [s.key for s in self.steps]
        if step_key not in keys:
            raise Http404
        self.index = keys.index(step_key)
        self.step: StepDef = self.steps[self.index]
        self.next = self.steps[self.index + 1] if self.index + 1 < len(self.steps) else None
        self.previous = self.steps[self.index - 1] if self.index else None
        # Door and alarm codes of a visit that is not theirs: neither shown nor editable.
        self.hidden = hidden_answer_keys(user=request.user, visit=visit, catalogues=self.catalogues)

    def questions(self) -> list[dict[str, Any]]:
        questions = questions_of(catalogues=self.catalogues, step=self.step.key)
        return [q for q in questions if q["key"] not in self.hidden]

    def context(self, **extra: Any) -> dict[str, Any]:
        return {
            "visit": self.visit,
            "step": self.step,
            "steps": self.steps,
            "step_number": self.index + 1,
            "step_count": len(self.steps),
            "next_step": self.next,
            "previous_step": self.previous,
            "catalogue_ids": [c["id"] for c in self.catalogues],
            **extra,
        }

    def render(self, status: int = 200, **extra: Any) -> HttpResponse:
        template = "visits/partials/step.html" if self.request.htmx else "visits/step.html"
        response = render(self.request, template, self.context(**extra), status=status)
        if self.request.htmx and self.request.method == "POST" and status == 200:
            response["HX-Push-Url"] = _step_url(self.visit, self.step.key)
        return response

    def after_save(self, visit: Visit, stay: bool = False) -> HttpResponse:
        target = self.step if stay or self.next is None else self.next
        if not self.request.htmx:
            # 303: the browser follows with a GET, so a reload never re-sends the POST.
            response = HttpResponseRedirect(_step_url(visit, target.key))
            response.status_code = 303
            return response
        page = StepPage(self.request, visit, target.key)
        return page.render(**page.forms())

    def forms(self) -> dict[str, Any]:
        """Unbound forms of this step, filled with what is already recorded."""
        kind = self.step.kind
        if kind == "prospect":
            return self._prospect_context(ProspectForm(instance=self.visit.prospect))
        if kind == "catalogue":
            questions = self.questions()
            initial = {
                q["key"]: from_answer(q, self.visit.answers.get(q["key"])) for q in questions
            }
            return self._catalogue_context(
                QuestionsForm(questions=questions, initial=initial), None
            )
        if kind == "estimate":
            return self._estimate_context(None)
        # A blank visit (prepared for offline walk-ins) has no quote to look up.
        quote = None if self.visit._state.adding else self.visit.quotes.first()
        texts = {
            "yes": _("Yes"),
            "no": _("No"),
            "onDevice": _(
                "As entered on this tablet (%(n)s entries not sent yet): estimate %(estimate)s "
                "per week, proposed %(proposed)s."
            ),
        }
        return {"sections": self._summary(), "quote": quote, "summary_texts": json.dumps(texts)}

    def _prospect_context(self, form: ProspectForm) -> dict[str, Any]:
        consent_text = legal_text_current(kind=LegalTextKind.CONSENT)
        if consent_text is not None and not form.is_bound:
            form.initial["consent_version"] = consent_text.version
        return {"form": form, "consent_text": consent_text}

    def _catalogue_context(self, form: QuestionsForm, rooms: RoomsForm | None) -> dict[str, Any]:
        questions = questions_of(catalogues=self.catalogues, step=self.step.key)
        has_rooms = any(q["type"] == "rooms" for q in questions)
        if has_rooms and rooms is None:
            rooms = RoomsForm(
                room_types=room_types_of(catalogues=self.catalogues),
                initial=self.visit.answers.get("rooms") or [],
            )
        sections = []
        for section in step_sections(catalogues=self.catalogues, step=self.step.key):
            fields = [form[q["key"]] for q in section.questions if q["key"] in form.fields]
            is_rooms = any(q["type"] == "rooms" for q in section.questions)
            sections.append({"label": section.label, "fields": fields, "rooms": is_rooms})
        return {
            "form": form,
            "sections": sections,
            "rooms": rooms,
            "room_types": room_types_of(catalogues=self.catalogues),
            "room_templates": (
                room_templates_html(catalogues=self.catalogues, rooms=rooms) if rooms else ""
            ),
        }

    def _estimate_context(self, form: EstimateForm | None) -> dict[str, Any]:
        try:
            result = visit_estimate(visit=self.visit)
            error = ""
        except VisitError as exc:
            result, error = None, str(exc)
        estimated = result["minutes_per_week"] if result else 0
        if form is None:
            initial = {}
            if (
                self.visit.proposed_minutes
                and self.visit.proposed_minutes != self.visit.estimated_minutes
            ):
                initial = {
                    "proposed_minutes": self.visit.proposed_minutes,
                    "override_reason": self.visit.override_reason,
                }
            form = EstimateForm(estimated=estimated, initial=initial)
        return {"form": form, "estimate": result, "estimate_error": error}

    def _summary(self) -> list[dict[str, Any]]:
        answers = self.visit.answers
        out = []
        for step in self.steps:
            if step.kind != "catalogue":
                continue
            for section in step_sections(catalogues=self.catalogues, step=step.key):
                items = []
                for q in section.questions:
                    if q["type"] == "rooms":
                        continue
                    masked = q["key"] in self.hidden and answers.get(q["key"])
                    items.append(
                        {"question": q, "value": answers.get(q["key"]), "masked": bool(masked)}
                    )
                out.append({"label": section.label, "step": step, "items": items})
        return out


@dataclass
class Outcome:
    """What a step POST came to, before it is answered as a page, a partial or JSON."""

    status: int
    visit: Visit
    stay: bool = False
    conflict: Conflict | None = None
    message: str = ""
    errors: dict[str, Any] = field(default_factory=dict)
    #: Forms to show again with their errors (page and partial answers only).
    context: dict[str, Any] = field(default_factory=dict)


def _context(request: AuthenticatedHttpRequest, data: QueryDict) -> WriteContext:
    try:
        client_uuid = uuid.UUID(data.get("submission_id", ""))
    except ValueError:
        client_uuid = None
    return WriteContext(
        base_version=_base_version(data),
        user=request.user,
        device_id=request.headers.get(DEVICE_HEADER, "")[:64],
        client_uuid=client_uuid,
        captured_at=_captured_at(data.get("captured_at", "")),
    )


def _captured_at(value: str) -> datetime | None:
    """The tablet's time of the write, when it is one we can believe (else the server's)."""
    if not value:
        return None
    try:
        return submission_time(value)
    except ValueError:
        return None


def _invalid(
    page: StepPage,
    forms_context: dict[str, Any],
    form: Any,
    rooms: RoomsForm | None = None,
    message: str = "",
) -> Outcome:
    errors = {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
    if rooms is not None:
        errors.update(rooms.error_data())
    return Outcome(422, page.visit, message=message, errors=errors, context=forms_context)


def _written(page: StepPage, write: WriteResult, stay: bool = False) -> Outcome:
    if write.conflict is not None:
        return Outcome(409, write.visit, conflict=write.conflict, context=page.forms())
    return Outcome(200, write.visit, stay=stay)


def _save(page: StepPage, ctx: WriteContext) -> Outcome:
    request, visit = page.request, page.visit
    data = request.POST
    kind = page.step.kind
    try:
        if kind == "prospect":
            form = ProspectForm(data, instance=Prospect.objects.get(pk=visit.prospect_id))
            if not form.is_valid():
                return _invalid(page, page._prospect_context(form), form)
            version = ""
            if form.instance.consent_at is None:
                consent_text = _consent_text(form.cleaned_data["consent_version"])
                if consent_text is None:
                    message = _("No consent text is published: ask the head office.")
                    return _invalid(page, page._prospect_context(form), form, message=message)
                version = consent_text.version
            fields = {k: form.cleaned_data[k] for k in PROSPECT_FIELDS}
            write = visit_save_prospect(
                visit=visit,
                fields=fields,
                ctx=ctx,
                consent_given=form.cleaned_data["consent"],
                consent_text_version=version,
            )
            return _written(page, write)
        if visit.prospect.consent_at is None:
            # Said before any form error: nothing else can be saved anyway.
            visit_require_consent(visit=visit)
        if kind == "catalogue":
            return _save_questions(page, data, ctx)
        if kind == "estimate":
            estimated = visit_estimate(visit=visit)["minutes_per_week"]
            estimate_form = EstimateForm(data, estimated=estimated)
            if not estimate_form.is_valid():
                return _invalid(page, page._estimate_context(estimate_form), estimate_form)
            write = visit_confirm_estimate(
                visit=visit,
                ctx=ctx,
                proposed_minutes=estimate_form.cleaned_data["proposed_minutes"],
                reason=estimate_form.cleaned_data["override_reason"],
            )
            return _written(page, write)
    except WrongCatalogue as exc:
        return Outcome(409, visit, message=str(exc), context=page.forms())
    except VisitError as exc:
        return Outcome(422, visit, message=str(exc), context=page.forms())
    raise Http404  # the summary takes no POST


def _consent_text(version: str) -> LegalText | None:
    """The published consent text the page showed, else the current one."""
    current = legal_text_current(kind=LegalTextKind.CONSENT)
    if current is not None and current.version == version:
        return current  # the usual case: no query
    shown = LegalText.objects.filter(
        kind=LegalTextKind.CONSENT, version=version, published_at__isnull=False
    ).first()
    return shown or current


def _save_questions(page: StepPage, data: QueryDict, ctx: WriteContext) -> Outcome:
    questions = page.questions()
    op = data.get("op", "")
    form = QuestionsForm(data, questions=questions, partial=bool(op))
    rooms = None
    if any(q["type"] == "rooms" for q in questions):
        rooms = RoomsForm(data, room_types=room_types_of(catalogues=page.catalogues))
    known = set(form.fields) | META_FIELDS | (rooms.posted_keys() if rooms else set())
    unknown = sorted(set(data) - known)
    valid = form.is_valid() & (rooms.is_valid() if rooms else True)
    if unknown:
        message = _("Unknown questions: %(keys)s") % {"keys": ", ".join(unknown)}
        return _invalid(page, page._catalogue_context(form, rooms), form, message=message)
    if not valid:
        return _invalid(page, page._catalogue_context(form, rooms), form, rooms)
    answers = form.answers()
    if rooms is not None:
        answers["rooms"] = rooms.apply(op)
    write = visit_save_answers(
        visit=page.visit,
        step=page.step.key,
        answers=answers,
        complete=not op,
        ctx=ctx,
        catalogue_ids=_catalogue_ids(data),
    )
    # A room added, copied or removed: stay on the step to go on editing it.
    return _written(page, write, stay=bool(op))


def _json(page: StepPage, outcome: Outcome) -> dict[str, Any]:
    body: dict[str, Any] = {"status": outcome.status, "version": outcome.visit.version}
    if outcome.status == 200:
        target = page.step if outcome.stay or page.next is None else page.next
        body["next_url"] = _step_url(outcome.visit, target.key)
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
    if _base_version(data) is None:
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
    ctx = _context(page.request, data)
    digest = submission_hash(data)
    with transaction.atomic():
        submission_lock_visit(visit_id=page.visit.pk)
        try:
            previous = submission_previous(
                client_uuid=ctx.client_uuid, visit_id=page.visit.pk, digest=digest
            )
        except SubmissionMismatch:
            sync_submission_counted("refused")
            message = _("This submission id was already used for other data: nothing was changed.")
            return _answer(page, Outcome(422, page.visit, message=message))
        if previous is not None:
            sync_submission_counted("replayed")
            return JsonResponse(previous.response, status=previous.status_code)
        outcome = _save(page, ctx)
        if outcome.status in (200, 409):
            submission_record(
                client_uuid=ctx.client_uuid,
                visit_id=page.visit.pk,
                digest=digest,
                status=outcome.status,
                response=_json(page, outcome),
                device_id=ctx.device_id,
            )
    if ctx.client_uuid is not None:  # an offline submission (a plain form post has no id)
        sync_submission_counted(sync_outcome_of(outcome.status))
    return _answer(page, outcome)


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
