from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nomad_web.health import health_status
from nomad_web.sweeps import documents_waiting_count


def _bearer_is_metrics_token(request: HttpRequest) -> bool:
    """The caller sent ``Authorization: Bearer <METRICS_TOKEN>`` (compared in constant time)."""
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def _may_see_details(request: HttpRequest) -> bool:
    return _bearer_is_metrics_token(request) or (
        request.user.is_authenticated and request.user.is_staff
    )


@require_GET
@never_cache
def healthz_live(request: HttpRequest) -> JsonResponse:
    """The process is up and answers: nothing it depends on is checked (a restart would
    not mend a database that is down)."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def healthz_ready(request: HttpRequest) -> JsonResponse:
    """Database, cache, broker and documents' storage (also ``/healthz``): 503 when one is
    down. Anonymous callers learn only ok or down; staff and the metrics token get each
    component (a failed one names its error's class only) and the waiting documents."""
    healthy, components = health_status()
    body: dict[str, object] = {"status": "ok" if healthy else "down"}
    if _may_see_details(request):
        body.update(components)
        if components.get("database") == "ok":
            # Signed contracts still without their documents (a count, never which).
            body["signed_waiting_documents"] = documents_waiting_count()
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's scrape (``nomad_web/metrics.py``), for the bearer of ``METRICS_TOKEN``.

    Without a token set it is not served in production, and open elsewhere."""
    from prometheus_client.exposition import choose_encoder

    from nomad_web.metrics import scrape_registry

    if not settings.METRICS_TOKEN:
        if settings.PRODUCTION:
            raise Http404
    elif not _bearer_is_metrics_token(request):
        response = HttpResponse("Unauthorized.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(scrape_registry()), content_type=content_type)


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
