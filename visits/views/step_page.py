"""The presenter of a visit step: what one step page shows, and what a POST came to."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nomad_web.http import AuthenticatedHttpRequest
from nomad_web.page_texts import counted
from privacy.selectors import hidden_answer_keys
from quotes.models import LegalTextKind
from quotes.selectors import legal_text_current
from visits.forms import (
    EstimateForm,
    ProspectForm,
    QuestionsForm,
    RoomsForm,
    from_answer,
)
from visits.fragments import room_templates_html
from visits.models import Conflict, Visit
from visits.services import (
    VisitError,
    visit_catalogues,
    visit_estimate,
)
from visits.steps import (
    StepDef,
    localised,
    questions_of,
    room_types_of,
    step_sections,
    visit_steps,
)


def base_version(data: QueryDict) -> int | None:
    value = data.get("base_version", "")
    return int(value) if value.isdigit() else None


def catalogue_ids(data: QueryDict) -> list[int]:
    return [int(v) for v in data.getlist("catalogue_versions") if v.isdigit()]


def step_url(visit: Visit, step: str) -> str:
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
            response["HX-Push-Url"] = step_url(self.visit, self.step.key)
        return response

    def after_save(self, visit: Visit, stay: bool = False) -> HttpResponse:
        target = self.step if stay or self.next is None else self.next
        if not self.request.htmx:
            # 303: the browser follows with a GET, so a reload never re-sends the POST.
            response = HttpResponseRedirect(step_url(visit, target.key))
            response.status_code = 303
            return response
        page = StepPage(self.request, visit, target.key)
        return page.render(**page.forms())

    def forms(self) -> dict[str, Any]:
        """Unbound forms of this step, filled with what is already recorded."""
        kind = self.step.kind
        if kind == "prospect":
            return self.prospect_context(ProspectForm(instance=self.visit.prospect))
        if kind == "catalogue":
            questions = self.questions()
            initial = {
                q["key"]: from_answer(q, self.visit.answers.get(q["key"])) for q in questions
            }
            return self.catalogue_context(QuestionsForm(questions=questions, initial=initial), None)
        if kind == "estimate":
            return self.estimate_context(None)
        # A blank visit (prepared for offline walk-ins) has no quote to look up.
        quote = None if self.visit._state.adding else self.visit.quotes.first()
        texts = {
            "yes": _("Yes"),
            "no": _("No"),
            "onDevice": counted(
                lambda n: ngettext(
                    "As entered on this tablet (%(n)s entry not sent yet): estimate "
                    "%(estimate)s per week, proposed %(proposed)s.",
                    "As entered on this tablet (%(n)s entries not sent yet): estimate "
                    "%(estimate)s per week, proposed %(proposed)s.",
                    n,
                )
            ),
        }
        return {
            "sections": self._summary(),
            "rooms": self._summary_rooms(),
            "quote": quote,
            "summary_texts": json.dumps(texts),
        }

    def _summary_rooms(self) -> list[dict[str, str]]:
        """The rooms as the summary names them: their label, else their type's (never a
        code), the surface in French figures."""
        types = {rt["key"]: localised(rt) for rt in room_types_of(catalogues=self.catalogues)}
        rooms = []
        for room in self.visit.answers.get("rooms") or []:
            surface = room.get("surface_m2")
            rooms.append(
                {
                    "title": room.get("label") or types.get(room.get("type"), "") or "—",
                    "surface": number_format(surface) if surface not in (None, "") else "",
                    "instructions": room.get("instructions") or "",
                }
            )
        return rooms

    def prospect_context(self, form: ProspectForm) -> dict[str, Any]:
        consent_text = legal_text_current(kind=LegalTextKind.CONSENT)
        if consent_text is not None and not form.is_bound:
            form.initial["consent_version"] = consent_text.version
        return {"form": form, "consent_text": consent_text}

    def catalogue_context(self, form: QuestionsForm, rooms: RoomsForm | None) -> dict[str, Any]:
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

    def estimate_context(self, form: EstimateForm | None) -> dict[str, Any]:
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
