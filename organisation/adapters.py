from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse

from nomad_web.http import client_ip
from nomad_web.mail import email_enqueue
from organisation.models import AccessEvent
from organisation.oidc import Refusal, provider_logout_url, refusal_page
from organisation.services import access_event_record


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by staff, never by sign-up; account emails go through Celery."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        message = self.render_mail(template_prefix, email, context)
        email_enqueue(message=message)

    def pre_login(
        self, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any
    ) -> HttpResponse | None:
        # With NOMAD_LOCAL_LOGIN off, a local password opens the door to staff only.
        if not settings.NOMAD_LOCAL_LOGIN and not getattr(user, "is_staff", False):
            clear_login(request)
            access_event_record(
                kind=AccessEvent.Kind.LOGIN_FAILURE,
                request=request,
                email=getattr(user, "email", ""),
                detail=Refusal.LOCAL_LOGIN,
            )
            return refusal_page(request, reason=Refusal.LOCAL_LOGIN)
        response: HttpResponse | None = super().pre_login(request, user, **kwargs)
        return response

    def get_client_ip(self, request: HttpRequest) -> str:
        # The rate limits count per client, not per reverse proxy (NOMAD_TRUSTED_PROXIES).
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine the client's address.")
        return ip

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # allauth refuses an attempt over ACCOUNT_RATE_LIMITS before any password check,
        # so no "login failed" signal: the refusal is written to the access log here.
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            email = credentials.get("email") or credentials.get("username") or ""
            access_event_record(
                kind=AccessEvent.Kind.LOGIN_FAILURE,
                request=request,
                email=str(email),
                detail="rate_limited",
            )
            raise

    def get_logout_redirect_url(self, request: HttpRequest) -> str:
        # Called before the session is flushed: an SSO session also ends at the provider.
        return provider_logout_url(request) or super().get_logout_redirect_url(request)
