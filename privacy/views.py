"""A person's data, from their visit: export (zip) and erasure. Managers of the
visit's agency and staff only; the visit is looked up through the agency scoping."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from nomad_web.http import AuthenticatedHttpRequest
from organisation.permissions import require_manager
from privacy.services import PrivacyError, prospect_erase, prospect_export
from visits.models import Visit
from visits.views.access import get_visit_for_user


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        help_text=gettext_lazy("For example: the person's request by letter of 2 May."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I confirm: this person's data will be anonymised and cannot be restored."
        )
    )


def _visit(request: AuthenticatedHttpRequest, pk: int) -> Visit:
    require_manager(request)
    return get_visit_for_user(request, pk)


def _page(
    request: AuthenticatedHttpRequest, visit: Visit, form: ErasureForm, status: int = 200
) -> HttpResponse:
    context = {"visit": visit, "prospect": visit.prospect, "form": form}
    return render(request, "privacy/person.html", context, status=status)


@require_GET
@login_required
def person_data(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk)
    return _page(request, visit, ErasureForm())


@require_GET
@login_required
def person_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk)
    archive = prospect_export(prospect=visit.prospect, user=request.user)
    response = HttpResponse(archive, content_type="application/zip")
    # The file name carries an id, not the person's name (downloads folders are shared).
    filename = f"personal-data-prospect-{visit.prospect_id}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def person_erase(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk)
    form = ErasureForm(request.POST)
    if not form.is_valid():
        return _page(request, visit, form, status=422)
    try:
        result = prospect_erase(
            prospect=visit.prospect, user=request.user, reason=form.cleaned_data["reason"]
        )
    except PrivacyError as exc:
        form.add_error(None, str(exc))
        return _page(request, visit, form, status=422)
    if result.kept_quotes:
        messages.success(
            request,
            _("Data anonymised. Kept for the legal period: %(quotes)s.")
            % {"quotes": ", ".join(result.kept_quotes)},
        )
    else:
        messages.success(request, _("Data anonymised."))
    for reference, until in result.quotes_kept_a_year.items():
        messages.info(
            request,
            _("%(quote)s and its PDF kept until %(date)s: a quote is kept a year.")
            % {"quote": reference, "date": date.fromisoformat(until).strftime("%d/%m/%Y")},
        )
    response = redirect("privacy:person_data", pk=visit.pk)
    response.status_code = 303
    return response
