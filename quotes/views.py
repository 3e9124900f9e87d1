"""Advisor pages of quotes and contracts: thin views over quotes.services.

Every object is reached through an agency-scoped queryset (a quote's agency is its
visit's); another agency's quote answers 404. A page works without JavaScript (POST,
then 303 to the quote); with htmx the quote's partial comes back in place.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from nomad_web.http import AuthenticatedHttpRequest
from organisation.scoping import get_for_user_or_404
from quotes.documents import DocumentError, document_render
from quotes.models import Contract, DocumentKind, Quote, QuoteStatus
from quotes.services import (
    QuoteError,
    contract_create,
    quote_create_draft,
    quote_issue,
    quote_revise,
)
from signatures.models import Provider
from signatures.providers import provider_key_for
from visits.views.access import get_visit_for_user


def _get_quote_for_user(request: AuthenticatedHttpRequest, pk: int) -> Quote:
    return get_for_user_or_404(
        Quote.objects.select_related("visit__prospect", "visit__agency", "brand", "previous"),
        request.user,
        pk=pk,
    )


def _quote_url(quote: Quote) -> str:
    return reverse("quotes:quote_detail", args=[quote.pk])


def _render_quote(
    request: AuthenticatedHttpRequest, quote: Quote, status: int = 200, error: str = ""
) -> HttpResponse:
    contract = Contract.objects.filter(quote=quote).select_related("general_terms").first()
    context = {
        "quote": quote,
        "visit": quote.visit,
        "figures": quote.figures,
        "contract": contract,
        "error": error,
        "has_one_off": any(f["recurrence"] == "one_off" for f in quote.figures.get("fees", [])),
        "can_revise": quote.status == QuoteStatus.ISSUED and contract is None,
        "can_contract": quote.status in (QuoteStatus.ISSUED, QuoteStatus.SIGNED)
        and contract is None,
        "signs_on_site": provider_key_for(agency=quote.visit.agency) == Provider.ONSITE,
    }
    template = "quotes/partials/quote.html" if request.htmx else "quotes/quote.html"
    return render(request, template, context, status=status)


def _after(request: AuthenticatedHttpRequest, quote: Quote) -> HttpResponse:
    if request.htmx:
        response = _render_quote(request, quote)
        response["HX-Push-Url"] = _quote_url(quote)
        return response
    redirect = HttpResponseRedirect(_quote_url(quote))
    redirect.status_code = 303  # a reload never re-sends the POST
    return redirect


@require_POST
@login_required
@vary_on_headers("HX-Request")
def quote_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """ "Établir le devis" from the visit summary: a draft, or the visit's current quote."""
    visit = get_visit_for_user(request, pk)
    current = Quote.objects.filter(visit=visit).exclude(status=QuoteStatus.SUPERSEDED).first()
    if current is not None:
        return _after(request, current)
    try:
        quote = quote_create_draft(visit=visit, user=request.user)
    except QuoteError as exc:
        return render(
            request,
            "quotes/quote_error.html",
            {"visit": visit, "error": str(exc)},
            status=422,
        )
    return _after(request, quote)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def quote_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render_quote(request, _get_quote_for_user(request, pk))


@require_POST
@login_required
@vary_on_headers("HX-Request")
def quote_issue_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    quote = _get_quote_for_user(request, pk)
    try:
        quote = quote_issue(quote=quote, user=request.user)
    except QuoteError as exc:
        return _render_quote(request, quote, status=422, error=str(exc))
    return _after(request, quote)


@require_POST
@login_required
@vary_on_headers("HX-Request")
def quote_revise_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    quote = _get_quote_for_user(request, pk)
    try:
        revision = quote_revise(quote=quote, user=request.user)
    except QuoteError as exc:
        return _render_quote(request, quote, status=422, error=str(exc))
    return _after(request, revision)


@require_POST
@login_required
@vary_on_headers("HX-Request")
def contract_create_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    quote = _get_quote_for_user(request, pk)
    try:
        contract_create(
            quote=quote,
            user=request.user,
            early_start_requested=request.POST.get("early_start_requested") == "on",
        )
    except QuoteError as exc:
        return _render_quote(request, quote, status=422, error=str(exc))
    return _after(request, quote)


def _pdf(request: AuthenticatedHttpRequest, pk: int, kind: str) -> FileResponse:
    quote = _get_quote_for_user(request, pk)
    if kind == DocumentKind.CONTRACT and not Contract.objects.filter(quote=quote).exists():
        raise Http404
    try:
        # Normally already made by the task after the commit; made now if it has not run.
        document = document_render(quote=quote, kind=kind)
    except DocumentError:
        raise Http404 from None
    response = FileResponse(
        document.file.open("rb"), content_type="application/pdf", filename=document.filename
    )
    response["X-Content-SHA256"] = document.sha256
    return response


@require_GET
@login_required
def quote_pdf(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    return _pdf(request, pk, DocumentKind.QUOTE)


@require_GET
@login_required
def contract_pdf(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    return _pdf(request, pk, DocumentKind.CONTRACT)
