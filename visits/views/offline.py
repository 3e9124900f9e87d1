"""What the device needs to work without network: the service worker, the list of pages
to prepare, each visit's data, and a fresh CSRF token at send time."""

from __future__ import annotations

import hashlib
import uuid
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from nomad_web.http import AuthenticatedHttpRequest
from privacy.selectors import hidden_answer_keys
from quotes.selectors import price_list_as_data, sale_prepared_data
from visits.catalogue import visit_catalogues
from visits.models import Conflict
from visits.offline_plan import TEMPLATE_VISIT, offline_plan
from visits.offline_texts import pending_texts_json
from visits.views.access import get_visit_for_user

# The app shell: what every page needs, precached when the worker installs.
SHELL_STATIC = [
    "css/app.css",
    "js/app.js",
    "js/store.js",
    "js/sync.js",
    "js/pricing.js",
    "js/signature.js",
    "vendor/signature_pad.min.js",
    "js/offline-forms.js",
    "js/estimator.js",
    "js/prepare.js",
    "js/device-view.js",
    "js/sale.js",
    "js/walk-in.js",
    "js/summary.js",
    "js/pending.js",
    "js/validation.js",
    # The quote and contract drawn on the tablet (the same templates as the PDF).
    "js/document-model.js",
    "js/typography.js",
    "js/document-render.js",
    "vendor/nunjucks-slim.min.js",
    "vendor/document-templates.js",
    "css/document.css",
    "vendor/htmx.min.js",
    "img/icon.svg",
]


@cache
def _assets_digest() -> str:
    digest = hashlib.sha256()
    for name in SHELL_STATIC:
        path = Path(settings.BASE_DIR) / "static" / name
        digest.update(path.read_bytes() if path.exists() else name.encode())
    digest.update(render_to_string("offline/sw.js", {"version": "", "shell": []}).encode())
    return digest.hexdigest()[:12]


def offline_version() -> str:
    """Changes whenever the shell changes, so the browser installs the new worker."""
    if settings.DEBUG:
        _assets_digest.cache_clear()  # files change under runserver
    return f"{_assets_digest()}{settings.NOMAD_OFFLINE_VERSION_SUFFIX}"


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    shell = [static(name) for name in SHELL_STATIC] + [reverse("visits:offline_page")]
    body = render_to_string(
        "offline/sw.js",
        {
            "version": offline_version(),
            "shell": shell,
            "template_visit": str(TEMPLATE_VISIT),
            "network_timeout_ms": settings.NOMAD_NETWORK_TIMEOUT_MS,
            "send_timeout_ms": settings.NOMAD_SEND_TIMEOUT_MS,
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def offline_page(request: HttpRequest) -> HttpResponse:
    # Cached in the shell: no user data in it.
    return render(request, "offline/offline.html")


@require_GET
@never_cache
@login_required
def csrf_token(request: AuthenticatedHttpRequest) -> JsonResponse:
    return JsonResponse({"csrf": get_token(request)})


@require_GET
@login_required
def pending_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The writes waiting on this tablet, drawn on the device (static/js/pending.js)."""
    return render(request, "offline/pending.html", {"pending_texts_json": pending_texts_json()})


@require_GET
@never_cache
@login_required
def resolved_conflicts(request: AuthenticatedHttpRequest) -> JsonResponse:
    """Which of the tablet's conflicting writes (by submission id) were resolved since:
    the tablet then lets them go (and, for a sale set aside, what waited for them)."""
    ids = []
    for value in request.GET.get("ids", "").split(",")[:200]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    resolved = (
        Conflict.objects.for_user(request.user)
        .filter(client_uuid__in=ids, resolved_at__isnull=False)
        .values_list("client_uuid", flat=True)
    )
    return JsonResponse({"resolved": sorted(str(u) for u in resolved)})


@require_GET
@never_cache
@login_required
def visit_data(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    """The visit as the device needs it offline: answers, version, catalogues with norms."""
    visit = get_visit_for_user(request, pk, template_ok=True)
    catalogues = visit_catalogues(visit=visit)
    hidden = hidden_answer_keys(user=request.user, visit=visit, catalogues=catalogues)
    return JsonResponse(
        {
            "visit": {
                "id": visit.pk,
                "version": visit.version,
                "status": visit.status,
                "activities": visit.activities,
                "answers": {k: v for k, v in visit.answers.items() if k not in hidden},
                "completed_steps": visit.completed_steps,
            },
            "catalogues": catalogues,
            "min_minutes": settings.NOMAD_MIN_BILLED_MINUTES,
            "household": {
                "dependent_children": visit.prospect.dependent_children,
                "members_over_65": visit.prospect.members_over_65,
                "disabled_member": visit.prospect.disabled_member,
            },
            "immediate_advance": visit.prospect.wants_immediate_advance,
            "price_list": price_list_as_data(agency=visit.agency, on=timezone.localdate()),
            "sale": sale_prepared_data(visit=visit, on=timezone.localdate()),
        }
    )


@require_GET
@never_cache
@login_required
def preparation(request: AuthenticatedHttpRequest) -> JsonResponse:
    """Every page and data file to cache for the visits of the day (or the week)."""
    days = 7 if request.GET.get("period") == "week" else 1
    return JsonResponse(offline_plan(user=request.user, days=days))
