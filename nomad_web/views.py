from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nomad_web.health import health_status
from nomad_web.sweeps import documents_waiting_count


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, components = health_status()
    body: dict[str, object] = {"status": "ok" if healthy else "down", **components}
    if components.get("database") == "ok":
        # A count only (anonymous callers): signed contracts still without their documents.
        body["signed_waiting_documents"] = documents_waiting_count()
    return JsonResponse(body, status=200 if healthy else 503)


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("account_login")
    if request.user.is_staff:
        return redirect("admin:index")
    return redirect("visits:agenda")


def email_page_closed(request: HttpRequest) -> HttpResponse:
    """allauth's email page, closed to everyone (404). The login address is set by head
    office in the admin or by the company account (SSO), verified: letting its holder add
    one, or make another primary, would let them take an SSO person's account; the page
    also recorded the address as unverified, which then kept staff from setting up the
    two-factor authentication they are asked for."""
    raise Http404


def bench_ok(request: HttpRequest) -> HttpResponse:
    """Bare Django for the load benchmark: the middleware stack, no database, no template."""
    return HttpResponse("ok", content_type="text/plain")
