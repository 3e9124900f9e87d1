from __future__ import annotations

import time
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from nomad_web.http import SYNC_HEADER
from nomad_web.request_cache import cached, request_user
from organisation.models import AccessEvent
from organisation.oidc import BACKEND_PATH
from organisation.scoping import OutOfScope
from organisation.services import access_event_record
from organisation.signals import SESSION_LAST_SEEN, SESSION_LOGIN_AT

# What a staff member without two-factor may still reach: setting it up, and leaving.
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/", "/media/")
# Storing the last activity on every request would write the session every time.
_LAST_SEEN_RESOLUTION = 60


def _has_totp(user_id: int) -> bool:
    """Cached per person; adding or removing an authenticator invalidates it."""
    return cached(
        f"mfa:{user_id}",
        "totp",
        lambda: Authenticator.objects.filter(
            user_id=user_id, type=Authenticator.Type.TOTP
        ).exists(),
    )


class StaffTwoFactorMiddleware:
    """Staff accounts must have TOTP before they can use anything else.

    Staff signed in through Keycloak are exempt only when the provider's own MFA is
    trusted (``OIDC_STAFF_MFA_FROM_PROVIDER``); otherwise the SSO refuses them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and not (
                settings.OIDC_STAFF_MFA_FROM_PROVIDER
                and request.session.get(BACKEND_SESSION_KEY) == BACKEND_PATH
            )
            and not _has_totp(user.pk)
        ):
            messages.info(
                request,
                _("Head-office accounts must use two-factor authentication: set it up to go on."),
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def _is_sync(request: HttpRequest) -> bool:
    return request.headers.get(SYNC_HEADER) == "1"


def _reauthenticate() -> JsonResponse:
    # The offline queue treats 401 as "ask to sign in again, keep every record".
    return JsonResponse(
        {"error": "reauthenticate", "login_url": resolve_url(settings.LOGIN_URL)}, status=401
    )


class SessionLifetimeMiddleware:
    """Ends a session after NOMAD_SESSION_IDLE_MINUTES idle or NOMAD_SESSION_MAX_HOURS.

    The offline replay (header ``X-Nomad-Sync: 1``) never gets a redirect: a missing or
    expired session answers 401 JSON and nothing of the request is processed, so the
    device keeps its unsynced work and asks the advisor to sign in again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.user.is_authenticated:
            request_user(request.user.pk)
            expired = self._expired(request)
            if expired:
                access_event_record(
                    kind=AccessEvent.Kind.SESSION_EXPIRED,
                    request=request,
                    user=request.user,
                    detail=expired,
                )
                logout(request)
                if _is_sync(request):
                    return _reauthenticate()
                messages.info(request, _("Your session has expired. Please sign in again."))
                if request.headers.get("HX-Request"):
                    hx = HttpResponse(status=204)
                    hx["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
                    return hx
                return redirect_to_login(request.get_full_path())

        response = self.get_response(request)
        if _is_sync(request) and response.status_code == 302:
            login_url = resolve_url(settings.LOGIN_URL)
            if response.get("Location", "").startswith(login_url):
                return _reauthenticate()
        return response

    def _expired(self, request: HttpRequest) -> str:
        now = time.time()
        session = request.session
        login_at = session.setdefault(SESSION_LOGIN_AT, now)
        last_seen = session.get(SESSION_LAST_SEEN, now)
        if now - login_at > settings.NOMAD_SESSION_MAX_HOURS * 3600:
            return "max_lifetime"
        if now - last_seen > settings.NOMAD_SESSION_IDLE_MINUTES * 60:
            return "idle"
        if now - last_seen >= _LAST_SEEN_RESOLUTION or SESSION_LAST_SEEN not in session:
            session[SESSION_LAST_SEEN] = now
        return ""


class AccessAuditMiddleware:
    """Every 403, and every 404 that hides another agency's object, goes to the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code == 403 and not getattr(response, "nomad_audited", False):
            access_event_record(
                kind=AccessEvent.Kind.ACCESS_DENIED,
                request=request,
                user=request.user,  # type: ignore[arg-type]
                detail="403",
            )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, OutOfScope):
            access_event_record(
                kind=AccessEvent.Kind.ACCESS_DENIED,
                request=request,
                user=request.user,  # type: ignore[arg-type]
                detail="out_of_scope",
            )
