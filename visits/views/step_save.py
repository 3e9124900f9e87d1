"""A step POST written: its forms validated and the visit services called (one outcome)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.http import Http404, QueryDict
from django.utils.translation import gettext as _

from nomad_web.http import AuthenticatedHttpRequest, form_errors
from quotes.models import LegalText, LegalTextKind
from quotes.selectors import legal_text_current
from visits.forms import (
    META_FIELDS,
    EstimateForm,
    ProspectForm,
    QuestionsForm,
    RoomsForm,
)
from visits.models import Prospect
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
from visits.steps import room_types_of
from visits.submissions import (
    DEVICE_HEADER,
    submission_time,
)
from visits.views.step_page import Outcome, StepPage, base_version, catalogue_ids


def step_context(request: AuthenticatedHttpRequest, data: QueryDict) -> WriteContext:
    try:
        client_uuid = uuid.UUID(data.get("submission_id", ""))
    except ValueError:
        client_uuid = None
    return WriteContext(
        base_version=base_version(data),
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
    errors = form_errors(form)
    if rooms is not None:
        errors.update(rooms.error_data())
    return Outcome(422, page.visit, message=message, errors=errors, context=forms_context)


def _written(page: StepPage, write: WriteResult, stay: bool = False) -> Outcome:
    if write.conflict is not None:
        return Outcome(409, write.visit, conflict=write.conflict, context=page.forms())
    return Outcome(200, write.visit, stay=stay)


def step_save(page: StepPage, ctx: WriteContext) -> Outcome:
    request, visit = page.request, page.visit
    data = request.POST
    kind = page.step.kind
    try:
        if kind == "prospect":
            form = ProspectForm(data, instance=Prospect.objects.get(pk=visit.prospect_id))
            if not form.is_valid():
                return _invalid(page, page.prospect_context(form), form)
            version = ""
            if form.instance.consent_at is None:
                consent_text = _consent_text(form.cleaned_data["consent_version"])
                if consent_text is None:
                    message = _("No consent text is published: ask the head office.")
                    return _invalid(page, page.prospect_context(form), form, message=message)
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
                return _invalid(page, page.estimate_context(estimate_form), estimate_form)
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
        return _invalid(page, page.catalogue_context(form, rooms), form, message=message)
    if not valid:
        return _invalid(page, page.catalogue_context(form, rooms), form, rooms)
    answers = form.answers()
    if rooms is not None:
        answers["rooms"] = rooms.apply(op)
    write = visit_save_answers(
        visit=page.visit,
        step=page.step.key,
        answers=answers,
        complete=not op,
        ctx=ctx,
        catalogue_ids=catalogue_ids(data),
    )
    # A room added, copied or removed: stay on the step to go on editing it.
    return _written(page, write, stay=bool(op))
