"""Conflicts between an offline edit and the server: listed, then resolved by a person."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from nomad_web.http import AuthenticatedHttpRequest
from organisation.models import Role
from organisation.scoping import get_for_user_or_404
from visits.models import Conflict
from visits.selectors import conflict_rows, conflicts_for
from visits.services import VisitError, conflict_resolve


@require_GET
@login_required
def conflict_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    conflicts = conflicts_for(user=request.user).filter(resolved_at__isnull=True)
    return render(request, "visits/conflict_list.html", {"conflicts": conflicts})


@require_http_methods(["GET", "POST"])
@login_required
def conflict_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    conflict = get_for_user_or_404(
        Conflict.objects.select_related("visit__prospect", "author", "resolved_by"),
        request.user,
        pk=pk,
    )
    if request.user.role == Role.ADVISOR and request.user.pk not in (
        conflict.visit.advisor_id,
        conflict.author_id,
    ):
        # An advisor resolves the conflicts of their own visits; the manager, all of them.
        raise PermissionDenied
    rows = conflict_rows(conflict=conflict)
    error = ""
    if request.method == "POST" and conflict.is_open:
        choice = request.POST.get("all")
        keep = {row["key"]: choice or request.POST.get(f"keep-{row['key']}", "") for row in rows}
        try:
            conflict_resolve(conflict=conflict, keep=keep, user=request.user)
        except VisitError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Conflict resolved."))
            return redirect("visits:conflict_detail", pk=conflict.pk)
    status = 422 if error else 200
    context = {"conflict": conflict, "rows": rows, "error": error}
    return render(request, "visits/conflict_detail.html", context, status=status)
