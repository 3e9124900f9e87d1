"""The mission sheet of a visit with a contract: a printable page and a PDF.

Agency-scoped like every visit page (another agency's visit answers 404). The sheet
holds the access codes, so it is shown only once a contract exists, to the visit's
agency people, and the PDF is made on request and never stored: it follows the visit.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from nomad_web.http import AuthenticatedHttpRequest
from privacy.selectors import access_codes_visible
from quotes.documents import STYLESHEET, document_pdf
from quotes.models import Contract
from quotes.typography import french_typography
from visits.mission import mission_sheet
from visits.models import Visit
from visits.views.access import get_visit_for_user


def _sheet_context(request: AuthenticatedHttpRequest, pk: int) -> dict[str, object]:
    visit: Visit = get_visit_for_user(request, pk)
    if not Contract.objects.filter(quote__visit=visit).exists():
        raise Http404
    sheet = mission_sheet(visit=visit)
    if not access_codes_visible(user=request.user, visit=visit):
        # Another advisor of the agency sees the sheet, not the codes.
        for key in ("door_code", "alarm_code"):
            if sheet["access"].get(key):
                sheet["access"][key] = _("hidden")
    minutes = sheet["schedule"]["minutes_per_week"]
    hours = f"{minutes // 60} h {minutes % 60:02d}" if minutes % 60 else f"{minutes // 60} h"
    return {"visit": visit, "sheet": sheet, "hours": hours}


@require_GET
@login_required
def mission_sheet_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    response = render(request, "visits/mission_sheet.html", _sheet_context(request, pk))
    response["Cache-Control"] = "no-store"  # access codes: not kept by the browser
    return response


@require_GET
@login_required
def mission_sheet_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    context = _sheet_context(request, pk)
    body = french_typography(render_to_string("visits/mission_sheet_document.html", context))
    html = body.replace("</head>", f"<style>\n{STYLESHEET.read_text()}\n</style>\n</head>", 1)
    pdf, _pages = document_pdf(html=html)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="feuille-de-route.pdf"'
    response["Cache-Control"] = "no-store"
    return response
