from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from announcements.selectors import announcements_for
from announcements.services import announcement_dismiss
from nomad_web.http import AuthenticatedHttpRequest


@require_GET
@login_required
def announcement_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "announcements/list.html",
        {"announcements": announcements_for(user=request.user)},
    )


@require_POST
@login_required
def announcement_dismiss_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # Only an announcement meant for this person can be dismissed by them.
    announcement = get_object_or_404(announcements_for(user=request.user), pk=pk)
    announcement_dismiss(announcement=announcement, user=request.user)
    if request.htmx:
        return HttpResponse("")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "home"
    return redirect(next_url)
