"""The visit flow, one step per page. Each POST is one complete, replayable write:
it carries the visit version it was based on and the catalogue versions it was built
from. Without JavaScript: 303 to the next step. With htmx: the next step's partial."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from nomad_web.http import AuthenticatedHttpRequest
from visits.forms import (
    CONSENT_TEXT_VERSION,
    META_FIELDS,
    ROOM_FREQUENCIES,
    EstimateForm,
    ProspectForm,
    QuestionsForm,
    RoomsForm,
    from_answer,
)
from visits.models import Visit
from visits.services import (
    StaleVersion,
    VisitError,
    WrongCatalogue,
    visit_catalogues,
    visit_confirm_estimate,
    visit_estimate,
    visit_save_answers,
    visit_save_prospect,
)
from visits.steps import StepDef, questions_of, room_types_of, step_sections, visit_steps
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
            return {"form": ProspectForm(instance=self.visit.prospect)}
        if kind == "catalogue":
            questions = questions_of(catalogues=self.catalogues, step=self.step.key)
            initial = {
                q["key"]: from_answer(q, self.visit.answers.get(q["key"])) for q in questions
            }
            return self._catalogue_context(
                QuestionsForm(questions=questions, initial=initial), None
            )
        if kind == "estimate":
            return self._estimate_context(None)
        return {"sections": self._summary()}

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
            fields = [form[q["key"]] for q in section.questions if q["type"] != "rooms"]
            is_rooms = any(q["type"] == "rooms" for q in section.questions)
            sections.append({"label": section.label, "fields": fields, "rooms": is_rooms})
        return {
            "form": form,
            "sections": sections,
            "rooms": rooms,
            "room_types": room_types_of(catalogues=self.catalogues),
            "room_frequencies": ROOM_FREQUENCIES,
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
                    items.append({"question": q, "value": answers.get(q["key"])})
                out.append({"label": section.label, "step": step, "items": items})
        return out


def _save(page: StepPage) -> HttpResponse:
    request, visit = page.request, page.visit
    data = request.POST
    base_version = _base_version(data)
    kind = page.step.kind
    try:
        if kind == "prospect":
            form = ProspectForm(data, instance=visit.prospect)
            if not form.is_valid():
                return page.render(status=422, form=form)
            visit = visit_save_prospect(
                visit=visit,
                prospect=form.save(commit=False),
                base_version=base_version,
                consent_given=form.cleaned_data["consent"],
                consent_text_version=CONSENT_TEXT_VERSION,
            )
            return page.after_save(visit)
        if kind == "catalogue":
            return _save_questions(page, data, base_version)
        if kind == "estimate":
            estimated = visit_estimate(visit=visit)["minutes_per_week"]
            estimate_form = EstimateForm(data, estimated=estimated)
            if not estimate_form.is_valid():
                return page.render(status=422, **page._estimate_context(estimate_form))
            visit = visit_confirm_estimate(
                visit=visit,
                base_version=base_version,
                proposed_minutes=estimate_form.cleaned_data["proposed_minutes"],
                reason=estimate_form.cleaned_data["override_reason"],
            )
            return page.after_save(visit)
    except (StaleVersion, WrongCatalogue) as exc:
        return page.render(status=409, conflict=str(exc), **page.forms())
    except VisitError as exc:
        return page.render(status=422, error=str(exc), **page.forms())
    raise Http404  # the summary takes no POST


def _save_questions(page: StepPage, data: QueryDict, base_version: int | None) -> HttpResponse:
    questions = questions_of(catalogues=page.catalogues, step=page.step.key)
    op = data.get("op", "")
    form = QuestionsForm(data, questions=questions, partial=bool(op))
    rooms = None
    if any(q["type"] == "rooms" for q in questions):
        rooms = RoomsForm(data, room_types=room_types_of(catalogues=page.catalogues))
    known = set(form.fields) | META_FIELDS | (rooms.posted_keys() if rooms else set())
    unknown = sorted(set(data) - known)
    valid = form.is_valid() & (rooms.is_valid() if rooms else True)
    if unknown:
        return page.render(
            status=422,
            error=_("Unknown questions: %(keys)s") % {"keys": ", ".join(unknown)},
            **page._catalogue_context(form, rooms),
        )
    if not valid:
        return page.render(status=422, **page._catalogue_context(form, rooms))
    answers = form.answers()
    if rooms is not None:
        answers["rooms"] = rooms.apply(op)
    visit = visit_save_answers(
        visit=page.visit,
        step=page.step.key,
        answers=answers,
        complete=not op,
        base_version=base_version,
        catalogue_ids=_catalogue_ids(data),
    )
    # A room added, copied or removed: stay on the step to go on editing it.
    return page.after_save(visit, stay=bool(op))


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def visit_step(request: AuthenticatedHttpRequest, pk: int, step: str) -> HttpResponse:
    visit = get_visit_for_user(request, pk)
    page = StepPage(request, visit, step)
    if request.method == "POST":
        return _save(page)
    return page.render(**page.forms())
