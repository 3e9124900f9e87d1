from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from nomad_web.http import AuthenticatedHttpRequest
from visits.selectors import agenda_days, agenda_period


def _anchor_date(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


@require_GET
@login_required
@vary_on_headers("HX-Request")
def agenda(request: AuthenticatedHttpRequest) -> HttpResponse:
    view = "week" if request.GET.get("view") == "week" else "day"
    anchor = _anchor_date(request.GET.get("date"))
    start, end = agenda_period(anchor=anchor, view=view)
    step = timedelta(days=7 if view == "week" else 1)
    context = {
        "view": view,
        "anchor": anchor,
        "start": start,
        "end": end,
        "previous": anchor - step,
        "next": anchor + step,
        "today": timezone.localdate(),
        "days": agenda_days(user=request.user, start=start, end=end),
    }
    template = "visits/partials/agenda.html" if request.htmx else "visits/agenda.html"
    return render(request, template, context)
