"""Remote signature pages: the request's status page and Yousign's webhook.

Thin views: the work is in ``signatures.yousign_provider`` and
``signatures.yousign_webhook``. A request is reached through its agency-scoped queryset.
"""

from __future__ import annotations

import json
import logging

from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from nomad_web.http import AuthenticatedHttpRequest
from organisation.scoping import get_for_user_or_404
from signatures.models import Provider, SignatureRequest, SignatureStatus
from signatures.services import SignatureError
from signatures.yousign import YousignError
from signatures.yousign_provider import YousignProvider
from signatures.yousign_webhook import (
    SIGNATURE_HEADER,
    yousign_signature_valid,
    yousign_webhook_handle,
)

logger = logging.getLogger(__name__)

# The embedded signature page of Yousign (production and sandbox hosts) may be framed
# by the status page, and by no other page.
YOUSIGN_FRAME_HOSTS = ["https://yousign.app", "https://*.yousign.app"]


def _get_request_for_user(request: AuthenticatedHttpRequest, pk: int) -> SignatureRequest:
    return get_for_user_or_404(
        SignatureRequest.objects.filter(provider=Provider.YOUSIGN).select_related(
            "contract__quote__visit__prospect"
        ),
        request.user,
        pk=pk,
    )


def _back(signature: SignatureRequest) -> HttpResponse:
    redirect = HttpResponseRedirect(reverse("signatures:remote_detail", args=[signature.pk]))
    redirect.status_code = 303
    return redirect


@require_GET
@login_required
# django-csp types its decorators for views without URL arguments.
@csp_update({"frame-src": YOUSIGN_FRAME_HOSTS})  # type: ignore[arg-type]
def remote_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    signature = _get_request_for_user(request, pk)
    pending = signature.status == SignatureStatus.PENDING
    embedded = signature.evidence.get("provider", {}).get("delivery_mode") == "none"
    context = {
        "signature": signature,
        "quote": signature.contract.quote,
        "pending": pending,
        "embedded": embedded,
        "can_remind": pending and not embedded,
    }
    return render(request, "signatures/remote_detail.html", context)


@require_POST
@login_required
def remote_remind(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    signature = _get_request_for_user(request, pk)
    try:
        YousignProvider().remind(request=signature)
    except SignatureError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("A reminder was sent to %(email)s.") % {"email": signature.signer_email}
        )
    return _back(signature)


@require_POST
@login_required
def remote_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    signature = _get_request_for_user(request, pk)
    reason = request.POST.get("reason", "").strip() or _("Cancelled by the advisor")
    try:
        YousignProvider().cancel(request=signature, reason=f"{reason} ({request.user})")
    except SignatureError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The signature request was cancelled."))
    return _back(signature)


@csrf_exempt  # called by Yousign, authenticated by the HMAC of its body instead
@require_POST
def yousign_webhook(request: HttpRequest) -> HttpResponse:
    body = request.body  # the raw bytes: the HMAC is over them, not over parsed JSON
    if not yousign_signature_valid(body=body, header=request.headers.get(SIGNATURE_HEADER, "")):
        return JsonResponse({"error": "bad signature"}, status=403)
    try:
        payload = json.loads(body)
    except ValueError:
        return JsonResponse({"error": "not JSON"}, status=400)
    if not isinstance(payload, dict) or not payload.get("event_id"):
        return JsonResponse({"error": "no event id"}, status=400)
    try:
        outcome = yousign_webhook_handle(payload=payload)
    except YousignError:
        logger.exception("Yousign event %s: signed files not fetched yet", payload["event_id"])
        return JsonResponse({"error": "try again later"}, status=503)
    return JsonResponse({"outcome": outcome})
