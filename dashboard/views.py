"""Managers' and head office's desktop pages: figures, the visit list, its CSV export.

Advisors have no dashboard (403). Filters come from the query string, so every view
can be bookmarked; an htmx request gets only the part of the page it replaces.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from dashboard import selectors
from dashboard.export import csv_rows
from dashboard.filters import SORTS, DashboardFilterForm
from dashboard.panels import dashboard_build
from nomad_web.http import AuthenticatedHttpRequest
from organisation.permissions import require_manager
from organisation.scoping import get_for_user_or_404
from organisation.selectors import advisors_by_agency
from signatures.models import PaperCopyTask
from signatures.services import SignatureError, paper_copy_mark_done

PAGE_SIZE = 50
# What a row shows: leaving out the answers and the estimate (JSON) keeps the sort light.
LIST_FIELDS = (
    "scheduled_at",
    "activities",
    "status",
    "channel",
    "estimated_minutes",
    "agency__name",
    "prospect__first_name",
    "prospect__last_name",
    "advisor__first_name",
    "advisor__last_name",
    "advisor__email",
)


def _form(request: AuthenticatedHttpRequest) -> DashboardFilterForm:
    return DashboardFilterForm(request.GET or None, user=request.user)


def _oob_fields(request: AuthenticatedHttpRequest) -> list[str]:
    """Filter fields whose choices depend on the one just changed, redrawn out of band."""
    return {"brand": ["agency", "advisor"], "agency": ["advisor"]}.get(
        request.htmx.trigger_name or "", []
    )


def _render(
    request: AuthenticatedHttpRequest, page: str, partial: str, context: dict[str, Any]
) -> HttpResponse:
    form: DashboardFilterForm = context["form"]
    status = 200 if form.is_bound is False or form.is_valid() else 422
    context = {**context, "oob_fields": _oob_fields(request) if request.htmx else []}
    template = partial if request.htmx and not request.htmx.boosted else page
    return render(request, template, context, status=status)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_manager(request)
    form = _form(request)
    context: dict[str, Any] = {"form": form}
    if not form.is_bound or form.is_valid():
        if not form.is_bound:
            form.is_valid()  # an unbound form has no cleaned data: fill the defaults
        context["filters"] = filters = _filters(form)
        context["board"] = dashboard_build(user=request.user, filters=filters)
    return _render(request, "dashboard/dashboard.html", "dashboard/partials/panels.html", context)


def _filters(form: DashboardFilterForm) -> Any:
    if not form.is_bound:
        # The defaults, validated through the same path as a query string.
        bound = DashboardFilterForm({}, user=form.user)
        bound.is_valid()
        return bound.filters()
    return form.filters()


def _querystring(request: AuthenticatedHttpRequest, **changes: Any) -> str:
    query = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = str(value)
    return "?" + urlencode(sorted(query.items()))


def _sorted_visits(request: AuthenticatedHttpRequest, form: DashboardFilterForm) -> Any:
    filters = _filters(form)
    visits = selectors.visits_for(user=request.user, filters=filters)
    if filters.status:
        visits = visits.filter(status=filters.status)
    return filters, visits.order_by(*SORTS[filters.sort])


def _list_links(request: AuthenticatedHttpRequest, sort: str, page: Any) -> dict[str, Any]:
    """The list's sort, page and export links: the same filters, one thing changed."""

    def page_link(exists: bool, number: Any) -> str:
        return _querystring(request, page=number()) if exists else ""

    return {
        "sort_links": {
            column: _querystring(
                request, sort=column if sort != column else f"-{column}", page=None
            )
            for column in ("date", "agency", "advisor", "status", "hours")
        },
        "page_links": {
            "previous": page_link(page.has_previous(), page.previous_page_number),
            "next": page_link(page.has_next(), page.next_page_number),
        },
        "export_query": _querystring(request, page=None),
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def visit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_manager(request)
    form = _form(request)
    context: dict[str, Any] = {"form": form}
    if not form.is_bound or form.is_valid():
        filters, visits = _sorted_visits(request, form)
        page = Paginator(
            visits.select_related("prospect", "agency", "advisor").only(*LIST_FIELDS), PAGE_SIZE
        ).get_page(request.GET.get("page"))
        context.update(
            filters=filters,
            page=page,
            advisors=advisors_by_agency(agency_ids={v.agency_id for v in page.object_list}),
            can_assign=True,
            **_list_links(request, filters.sort, page),
        )
    return _render(
        request, "dashboard/visit_list.html", "dashboard/partials/visit_table.html", context
    )


@require_GET
@login_required
def visit_export(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    require_manager(request)
    form = _form(request)
    if form.is_bound and not form.is_valid():
        return _render(
            request,
            "dashboard/visit_list.html",
            "dashboard/partials/visit_table.html",
            {"form": form},
        )
    _filters_used, visits = _sorted_visits(request, form)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(csv_rows(visits), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="visites-{stamp}.csv"'
    return response


def _paper_copies(request: AuthenticatedHttpRequest) -> Any:
    return (
        PaperCopyTask.objects.for_user(request.user)
        .select_related("contract__quote__visit__prospect", "contract__quote__visit__agency")
        .order_by("done_on", "created_at")
    )


@require_GET
@login_required
def paper_copy_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """L221-9: the signed contracts the agency must hand or post on paper, open ones first;
    the last 30 days of those done are kept in view."""
    require_manager(request)
    tasks = _paper_copies(request)
    recent = timezone.localdate() - timedelta(days=30)
    context = {
        "open_tasks": tasks.filter(done_on__isnull=True),
        "done_tasks": tasks.filter(done_on__gte=recent).order_by("-done_on"),
        "today": timezone.localdate(),
    }
    return render(request, "dashboard/paper_copies.html", context)


@require_POST
@login_required
def paper_copy_done(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_manager(request)
    task = get_for_user_or_404(_paper_copies(request), request.user, pk=pk)
    try:
        on = date.fromisoformat(request.POST.get("done_on", ""))
    except ValueError:
        messages.error(request, _("Give the date the paper copy was handed over or posted."))
        return redirect("dashboard:paper_copies")
    try:
        paper_copy_mark_done(task=task, on=on, user=request.user)
    except SignatureError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Paper copy marked as handed over."))
    return redirect("dashboard:paper_copies")
